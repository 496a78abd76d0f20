package receiver_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	imagev1 "github.com/ferrycd/ferry/api/image/v1"
	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	notificationv1 "github.com/ferrycd/ferry/api/notification/v1"
	"github.com/ferrycd/ferry/internal/testenv"
)

// TestMatchLabels checks that name "*" reconciles exactly the objects of
// the kind with the labels.
func TestMatchLabels(t *testing.T) {
	ns := env.NewNamespace(t, "labels")
	suspendedRepo(t, ns, "front", map[string]string{"team": "web"})
	suspendedRepo(t, ns, "back", map[string]string{"team": "web"})
	suspendedRepo(t, ns, "db", map[string]string{"team": "data"})
	all := notificationv1.CrossNamespaceObjectReference{Kind: "GitRepository", Name: "*", MatchLabels: map[string]string{"team": "web"}}
	rcv := readyReceiver(t, newReceiver(ns, notificationv1.GenericReceiver, []notificationv1.CrossNamespaceObjectReference{all}))

	code, answer := post(t, rcv.Status.WebhookPath, "")
	expect(t, "a call", http.StatusOK, code, answer)
	for name, want := range map[string]bool{"front": true, "back": true, "db": false} {
		if got := repoRequestedAt(t, ns, name) != ""; got != want {
			t.Errorf("GitRepository %s requested: %v, want %v", name, got, want)
		}
	}
}

// TestResourceFilter checks spec.resourceFilter over res and req: only the
// objects for which it is true are reconciled.
func TestResourceFilter(t *testing.T) {
	ns := env.NewNamespace(t, "filter")
	suspendedRepo(t, ns, "front", map[string]string{"app": "front"})
	suspendedRepo(t, ns, "back", map[string]string{"app": "back"})
	rcv := readyReceiver(t, newReceiver(ns, notificationv1.GenericReceiver,
		[]notificationv1.CrossNamespaceObjectReference{ref("GitRepository", "front"), ref("GitRepository", "back")},
		func(r *notificationv1.Receiver) {
			r.Spec.ResourceFilter = `has(req.app) && res.metadata.labels.app == req.app`
		}))

	code, answer := post(t, rcv.Status.WebhookPath, `{"app":"back"}`, "Content-Type", "application/json")
	expect(t, "a call for back", http.StatusOK, code, answer)
	if repoRequestedAt(t, ns, "front") != "" || repoRequestedAt(t, ns, "back") == "" {
		t.Errorf("after a call for back: front %q, back %q", repoRequestedAt(t, ns, "front"), repoRequestedAt(t, ns, "back"))
	}

	// Not JSON: req is empty, the filter is false for both.
	back := repoRequestedAt(t, ns, "back")
	code, answer = post(t, rcv.Status.WebhookPath, `app=front`, "Content-Type", "application/x-www-form-urlencoded")
	expect(t, "a form call", http.StatusOK, code, answer)
	if repoRequestedAt(t, ns, "front") != "" || repoRequestedAt(t, ns, "back") != back {
		t.Error("a call the filter refuses requested a reconcile")
	}
	code, answer = post(t, rcv.Status.WebhookPath, `[1]`, "Content-Type", "application/json")
	expect(t, "a JSON array", http.StatusBadRequest, code, answer)
}

// TestKinds checks that a Kustomization and an ImageRepository need no
// apiVersion, and that a kind the cluster does not serve is skipped without
// failing the call.
func TestKinds(t *testing.T) {
	ns := env.NewNamespace(t, "kinds")
	suspendedRepo(t, ns, "app", nil)
	create(t, &kustomizev1.Kustomization{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "app"},
		Spec: kustomizev1.KustomizationSpec{
			Interval:  metav1.Duration{Duration: time.Hour},
			Path:      "./",
			Prune:     true,
			Suspend:   true,
			SourceRef: kustomizev1.CrossNamespaceSourceReference{Kind: "GitRepository", Name: "app"},
		},
	})
	create(t, &imagev1.ImageRepository{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "web"},
		Spec: imagev1.ImageRepositorySpec{
			Image:    "registry.example/web",
			Interval: metav1.Duration{Duration: time.Hour},
			Suspend:  true,
		},
	})
	rcv := readyReceiver(t, newReceiver(ns, notificationv1.GenericReceiver, []notificationv1.CrossNamespaceObjectReference{
		ref("ArtifactGenerator", "assets"), ref("Kustomization", "app"), ref("ImageRepository", "web"), ref("GitRepository", "app"),
	}))

	code, answer := post(t, rcv.Status.WebhookPath, "")
	expect(t, "a call", http.StatusOK, code, answer)
	if !strings.Contains(answer, "3 resources") {
		t.Errorf("answer %q, want 3 resources", answer)
	}
	if requestedAt(t, &kustomizev1.Kustomization{}, testenv.Key(ns, "app")) == "" || repoRequestedAt(t, ns, "app") == "" ||
		requestedAt(t, &imagev1.ImageRepository{}, testenv.Key(ns, "web")) == "" {
		t.Error("the Kustomization, the GitRepository or the ImageRepository was not annotated")
	}
	if !strings.Contains(env.Logs.String(), "skipping a resource of a kind the cluster does not serve") {
		t.Error("no log line for the skipped kinds")
	}

	// A listed object that does not exist fails the call, after the others.
	rcv2 := newReceiver(ns, notificationv1.GenericReceiver, []notificationv1.CrossNamespaceObjectReference{
		ref("GitRepository", "missing"), ref("GitRepository", "app"),
	}, func(r *notificationv1.Receiver) { r.Name = "hook2" })
	create(t, rcv2)
	rcv2 = waitReceiver(t, testenv.Key(ns, "hook2"), "Ready", isReady)
	before := repoRequestedAt(t, ns, "app")
	code, answer = post(t, rcv2.Status.WebhookPath, "")
	expect(t, "a call listing a missing object", http.StatusInternalServerError, code, answer)
	if repoRequestedAt(t, ns, "app") == before {
		t.Error("the existing object was not annotated")
	}
}
