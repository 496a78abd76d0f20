package uibrowser

import (
	"context"
	"net/http"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/api/meta"
	"github.com/ferrycd/ferry/internal/testenv"
)

// The buttons of the object page's actions.
const (
	reconcileButton = "form[action$='/reconcile'] button[type=submit]"
	suspendOpen     = "details.confirm summary"
	suspendReason   = "form[action$='/suspend'] input[name=reason]"
	suspendButton   = "form[action$='/suspend'] button[type=submit]"
	resumeButton    = "form[action$='/resume'] button[type=submit]"
)

// TestActions clicks reconcile, suspend (with a reason) and resume on a
// Kustomization's page, and checks each reached the object and was
// recorded as an Event naming the user.
func TestActions(t *testing.T) {
	u := newUI(t)
	f := env.NewFixture(t, appFiles("info"))
	gitRepository(f)
	kustomization(f, "api", "./deploy")
	ready(f, "api")
	key := testenv.Key(f.NS, "api")

	tb := NewTab(t)
	tb.Open(u.Admin + "/o/Kustomization/" + f.NS + "/api")

	// Reconcile: the annotation appears and the controller handles it.
	if code := tb.Submit(reconcileButton); code != http.StatusOK {
		t.Fatalf("reconcile answered %d: %s", code, tb.Describe())
	}
	tb.WaitText("p.flash", "Reconciliation requested")
	ks := testenv.WaitFor(t, env.Client, key, "annotated", func(ks *kustomizev1.Kustomization) bool {
		return ks.Annotations[meta.ReconcileRequestAnnotation] != ""
	})
	token := ks.Annotations[meta.ReconcileRequestAnnotation]
	testenv.WaitFor(t, env.Client, key, "handled "+token, func(ks *kustomizev1.Kustomization) bool {
		return ks.Status.LastHandledReconcileAt == token
	})
	waitEvent(t, f.NS, "api", "ReconcileRequested", "reconcile requested by "+adminUser)

	// Suspend, with a reason.
	tb.Click(suspendOpen)
	tb.TypeInto(suspendReason, "incident 42: hold the rollout")
	if code := tb.Submit(suspendButton); code != http.StatusOK {
		t.Fatalf("suspend answered %d: %s", code, tb.Describe())
	}
	tb.WaitText("p.flash", "Suspended")
	testenv.WaitFor(t, env.Client, key, "suspended", func(ks *kustomizev1.Kustomization) bool { return ks.Spec.Suspend })
	waitEvent(t, f.NS, "api", "Suspended", "suspended by "+adminUser+": incident 42: hold the rollout")
	// The page offers resume once its cache has the suspension.
	tb.WaitHas(resumeButton)
	tb.WaitHas("main h1 .state-suspended")

	// Resume.
	if code := tb.Submit(resumeButton); code != http.StatusOK {
		t.Fatalf("resume answered %d: %s", code, tb.Describe())
	}
	tb.WaitText("p.flash", "Resumed")
	testenv.WaitFor(t, env.Client, key, "resumed", func(ks *kustomizev1.Kustomization) bool { return !ks.Spec.Suspend })
	waitEvent(t, f.NS, "api", "Resumed", "resumed by "+adminUser)
	tb.WaitHas(reconcileButton)
}

// TestActionsForbidden performs the same actions as a user whom RBAC
// allows nothing: each page says it is forbidden, and the object does not
// change.
func TestActionsForbidden(t *testing.T) {
	u := newUI(t)
	f := env.NewFixture(t, appFiles("info"))
	gitRepository(f)
	kustomization(f, "api", "./deploy")
	before := ready(f, "api")
	key := testenv.Key(f.NS, "api")
	page := u.Viewer + "/o/Kustomization/" + f.NS + "/api"

	tb := NewTab(t)
	refused := func(verb, button string) {
		t.Helper()
		tb.Open(page)
		if verb == "suspend" {
			tb.Click(suspendOpen)
			tb.TypeInto(suspendReason, "not mine to suspend")
		}
		if code := tb.Submit(button); code != http.StatusForbidden {
			t.Errorf("%s answered %d, want 403: %s", verb, code, tb.Describe())
		}
		if h := tb.Text("main h1"); h != "Forbidden" {
			t.Errorf("%s: the heading is %q, want Forbidden", verb, h)
		}
		msg := tb.Text("main .message")
		for _, want := range []string{"you may not " + verb + " Kustomization " + f.NS + "/api", u.ViewerUser, "forbidden"} {
			if !strings.Contains(msg, want) {
				t.Errorf("%s: the message %q does not say %q", verb, msg, want)
			}
		}
	}
	refused("reconcile", reconcileButton)
	refused("suspend", suspendButton)
	ks := &kustomizev1.Kustomization{}
	if err := env.Client.Get(context.Background(), key, ks); err != nil {
		t.Fatal(err)
	}
	if ks.Spec.Suspend || ks.Annotations[meta.ReconcileRequestAnnotation] != "" || ks.Generation != before.Generation {
		t.Errorf("a refused action changed the object: suspend=%t annotations=%v generation %d→%d",
			ks.Spec.Suspend, ks.Annotations, before.Generation, ks.Generation)
	}

	// Resume, of an object an admin suspended.
	patch := client.MergeFrom(ks.DeepCopy())
	ks.Spec.Suspend = true
	if err := env.Client.Patch(context.Background(), ks, patch); err != nil {
		t.Fatal(err)
	}
	// The page is opened until the UI's cache has the suspension: a
	// change that lands between a page's read and its live stream's
	// start is not sent to it (a known gap of /live).
	tb.WaitFor("the Resume button", func() (bool, string) {
		tb.Open(page)
		return tb.Has(resumeButton), "absent"
	})
	refused("resume", resumeButton)
	if err := env.Client.Get(context.Background(), key, ks); err != nil {
		t.Fatal(err)
	}
	if !ks.Spec.Suspend {
		t.Error("a refused resume resumed the object")
	}
	for _, e := range testenv.Events(t, env.Client, kustomizev1.KustomizationKind, f.NS, "api") {
		if e.ReportingController == "ferry-ui" {
			t.Errorf("a refused action was recorded: %s %s", e.Reason, e.Message)
		}
	}
}

// waitEvent waits for an Event of the Kustomization ns/name with reason
// and message.
func waitEvent(t *testing.T, ns, name, reason, message string) corev1.Event {
	t.Helper()
	var found corev1.Event
	testenv.Eventually(t, "the Event "+reason+": "+message, func() (bool, string) {
		var seen []string
		for _, e := range testenv.Events(t, env.Client, kustomizev1.KustomizationKind, ns, name) {
			if e.Reason == reason && e.Message == message {
				found = e
				return true, ""
			}
			seen = append(seen, e.Reason+": "+e.Message)
		}
		return false, strings.Join(seen, "; ")
	})
	return found
}
