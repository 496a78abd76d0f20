package notification_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/api/meta"
	notificationv1 "github.com/ferrycd/ferry/api/notification/v1"
	notificationv1beta3 "github.com/ferrycd/ferry/api/notification/v1beta3"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/events"
	"github.com/ferrycd/ferry/internal/notification"
	"github.com/ferrycd/ferry/internal/scheme"
	"github.com/ferrycd/ferry/internal/testenv"
)

// The dispatch log's tests read Alerts and Providers from a real API
// server (no controllers run: each test starts its own Dispatcher) and
// deliver to real HTTP endpoints on loopback.
var env *testenv.Env

func TestMain(m *testing.M) {
	env = testenv.Start(testenv.Options{})
	os.Exit(env.Run(m))
}

// hookSecret is the path of an address that must never reach the log.
const hookSecret = "/hooks/T0000/dispatchLogSecret"

// TestDispatchLog publishes events to a Dispatcher and reads what its log
// says became of them: matched and delivered with 200, failed with 500
// after every attempt, failed on a network error, excluded by
// eventSeverity, suspended and exclusionList, and suppressed as a repeat.
func TestDispatchLog(t *testing.T) {
	ns := env.NewNamespace(t, "dispatchlog")
	var okCalls, failCalls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/fail") {
			failCalls.Add(1)
			http.Error(w, "try later", http.StatusInternalServerError)
			return
		}
		okCalls.Add(1)
	}))
	defer srv.Close()
	// A port nothing listens on: the connection is refused.
	closed := httptest.NewServer(http.NotFoundHandler())
	downURL := closed.URL + hookSecret
	closed.Close()

	create(t,
		provider(ns, "ok", srv.URL+"/ok"),
		provider(ns, "fail", srv.URL+"/fail"+hookSecret),
		provider(ns, "down", downURL),
		alert(ns, "all", "ok", func(a *notificationv1beta3.Alert) { a.Spec.ExclusionList = []string{"ignore me"} }),
		alert(ns, "errors", "fail", func(a *notificationv1beta3.Alert) { a.Spec.EventSeverity = events.SeverityError }),
		alert(ns, "unreachable", "down", func(a *notificationv1beta3.Alert) { a.Spec.EventSeverity = events.SeverityError }),
		alert(ns, "paused", "ok", func(a *notificationv1beta3.Alert) {
			a.Spec.Suspend = true
			a.Spec.EventSources = append(a.Spec.EventSources, notificationv1.CrossNamespaceObjectReference{Kind: sourcev1.GitRepositoryKind, Name: "probe"})
		}),
	)
	log, rec := startDispatcher(t, ns)
	ks := &kustomizev1.Kustomization{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "web"}}
	revision := map[string]string{events.MetaRevision: "main@sha1:0123"}

	rec.Normal(ks, "ReconciliationSucceeded", "Reconciliation finished", revision)
	rec.Warning(ks, "HealthCheckFailed", "health check failed", revision)
	rec.Warning(ks, "HealthCheckFailed", "health check failed", revision)
	rec.Normal(ks, "Progressing", "please ignore me", revision)

	// Wait for the last deliveries to end, then read the whole log.
	var got []notification.Decision
	testenv.Eventually(t, "the failing deliveries given up", func() (bool, string) {
		got = decisionsAbout(log, ns, "web")
		if len(got) < 4 {
			return false, describe(got)
		}
		health, finished := got[2], got[3] // newest first
		return result(health, "errors") == "Failed" && result(health, "unreachable") == "Failed" &&
			result(health, "all") == "Delivered" && result(finished, "all") == "Delivered", describe(got)
	})
	if len(got) != 4 {
		t.Fatalf("%d decisions about the Kustomization, want 4:\n%s", len(got), describe(got))
	}
	ignored, repeat, health, finished := got[0], got[1], got[2], got[3]

	// The info event: delivered to "all" with 200, out of the error-only
	// Alerts by their severity, out of the suspended one.
	if finished.Reason != "ReconciliationSucceeded" || finished.Revision != "main@sha1:0123" || finished.Object.Kind != kustomizev1.KustomizationKind || finished.Object.Namespace != ns {
		t.Errorf("the first decision is about %+v", finished)
	}
	wantOutcome(t, finished, "all", notification.OutcomeMatched, "")
	if d := outcome(finished, "all").Delivery; d.Result != "Delivered" || d.StatusCode != http.StatusOK || d.Attempts != 1 || d.Error != "" {
		t.Errorf("the delivery to ok: %+v", d)
	}
	wantOutcome(t, finished, "errors", notification.OutcomeExcluded, notification.RuleSeverity)
	wantOutcome(t, finished, "paused", notification.OutcomeExcluded, notification.RuleSuspended)

	// The failure: delivered to ok, given up on the 500 after both
	// attempts, and on the refused connection, neither naming the address.
	wantOutcome(t, health, "errors", notification.OutcomeMatched, "")
	if d := outcome(health, "errors").Delivery; d.Result != "Failed" || d.StatusCode != http.StatusInternalServerError || d.Attempts != 2 || !strings.Contains(d.Error, "500") {
		t.Errorf("the delivery to fail: %+v", d)
	}
	if n := failCalls.Load(); n != 2 {
		t.Errorf("the failing endpoint got %d requests, want 2", n)
	}
	d := outcome(health, "unreachable").Delivery
	if d.Result != "Failed" || d.StatusCode != 0 || d.Attempts != 2 || d.Error == "" {
		t.Errorf("the delivery to down: %+v", d)
	}
	if r := outcome(health, "all").Delivery.Result; r != "Delivered" {
		t.Errorf("the failure's delivery to ok: %s", r)
	}

	// The repeat is suppressed for every active Alert.
	for _, a := range []string{"all", "errors", "unreachable"} {
		wantOutcome(t, repeat, a, notification.OutcomeSuppressed, "")
	}
	wantOutcome(t, repeat, "paused", notification.OutcomeExcluded, notification.RuleSuspended)

	// The exclusion list keeps the last one from "all".
	wantOutcome(t, ignored, "all", notification.OutcomeExcluded, notification.RuleExclusionList)
	if n := okCalls.Load(); n != 2 {
		t.Errorf("the ok endpoint got %d requests, want 2 (the finished and the first failure)", n)
	}

	for _, d := range log.Decisions() {
		for _, o := range d.Alerts {
			if strings.Contains(o.Delivery.Error, hookSecret) || strings.Contains(o.Delivery.Error, "dispatchLogSecret") {
				t.Errorf("the log holds the address: %q", o.Delivery.Error)
			}
		}
	}
}

// startDispatcher runs a Dispatcher with a log and fast retries until the
// test ends, and returns the log and a recorder publishing to it. It
// returns once the dispatcher is subscribed: a probe event about the
// GitRepository "probe" of ns, which only the suspended Alert "paused"
// names, is in the log.
func startDispatcher(t *testing.T, ns string) (*notification.DispatchLog, *events.Recorder) {
	t.Helper()
	bus := events.NewBus()
	log := notification.NewDispatchLog(0)
	d := &notification.Dispatcher{
		Client:      env.Client,
		Bus:         bus,
		Events:      events.NewRecorder(nil, scheme.New(), "notification-controller", "", nil),
		Log:         logr.Discard(),
		Config:      notification.Config{MaxAttempts: 2, MinBackoff: 10 * time.Millisecond, MaxBackoff: 20 * time.Millisecond},
		DispatchLog: log,
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Start(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	rec := events.NewRecorder(nil, scheme.New(), "kustomize-controller", "", bus)
	testenv.Eventually(t, "the dispatcher subscribed", func() (bool, string) {
		probe := &sourcev1.GitRepository{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "probe"}}
		rec.Normal(probe, "Probe", fmt.Sprint("probe ", time.Now().UnixNano()), nil)
		for _, dec := range log.Decisions() {
			if dec.Object.Name == "probe" {
				return true, ""
			}
		}
		return false, "no probe decision"
	})
	return log, rec
}

func create(t *testing.T, objs ...client.Object) {
	t.Helper()
	for _, o := range objs {
		if err := env.Client.Create(context.Background(), o); err != nil {
			t.Fatal(err)
		}
	}
}

func provider(ns, name, address string) *notificationv1beta3.Provider {
	return &notificationv1beta3.Provider{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       notificationv1beta3.ProviderSpec{Type: "generic", Address: address},
	}
}

// alert is an Alert of provider for every Kustomization of ns, changed by
// mutate.
func alert(ns, name, provider string, mutate func(*notificationv1beta3.Alert)) *notificationv1beta3.Alert {
	a := &notificationv1beta3.Alert{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: notificationv1beta3.AlertSpec{
			ProviderRef:  meta.LocalObjectReference{Name: provider},
			EventSources: []notificationv1.CrossNamespaceObjectReference{{Kind: kustomizev1.KustomizationKind, Name: "*"}},
		},
	}
	mutate(a)
	return a
}

// decisionsAbout are the log's decisions about the Kustomization, newest
// first.
func decisionsAbout(log *notification.DispatchLog, ns, name string) []notification.Decision {
	var out []notification.Decision
	for _, d := range log.Decisions() {
		if d.Object.Kind == kustomizev1.KustomizationKind && d.Object.Namespace == ns && d.Object.Name == name {
			out = append(out, d)
		}
	}
	return out
}

func outcome(d notification.Decision, alert string) notification.AlertOutcome {
	for _, o := range d.Alerts {
		if o.Alert.Name == alert {
			return o
		}
	}
	return notification.AlertOutcome{}
}

func result(d notification.Decision, alert string) string { return outcome(d, alert).Delivery.Result }

func wantOutcome(t *testing.T, d notification.Decision, alert, want, rule string) {
	t.Helper()
	o := outcome(d, alert)
	if o.Outcome != want || o.Rule != rule {
		t.Errorf("%s (%s) for Alert %s: %s %s, want %s %s", d.Reason, d.Severity, alert, o.Outcome, o.Rule, want, rule)
	}
}

func describe(ds []notification.Decision) string {
	var b strings.Builder
	for _, d := range ds {
		fmt.Fprintf(&b, "%s %s:", d.Reason, d.Severity)
		for _, o := range d.Alerts {
			fmt.Fprintf(&b, " %s=%s%s/%+v", o.Alert.Name, o.Outcome, o.Rule, o.Delivery)
		}
		b.WriteString("\n")
	}
	return b.String()
}
