package alert_test

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	notificationv1beta3 "github.com/ferrycd/ferry/api/notification/v1beta3"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/testenv"
)

// TestEndpointDownSlowBack: the endpoint is down, then slower than the
// Provider's timeout, then back. Reconciles go on meanwhile (each revision
// is applied while the endpoint fails), a given-up delivery is a Warning
// event on the Alert and a Failed entry in the Provider's status, and once
// the endpoint is back delivery resumes and nothing is sent twice.
func TestEndpointDownSlowBack(t *testing.T) {
	ep := newEndpoint(t)
	ep.setMode("down")
	f := env.NewFixture(t, appFiles("1"))
	f.ApplyYAML(`apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata:
  name: webhook
  namespace: {{ns}}
spec:
  type: generic
  timeout: 1s
  address: ` + ep.URL + `/flux
---
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Alert
metadata:
  name: a
  namespace: {{ns}}
spec:
  providerRef:
    name: webhook
  eventSources:
    - kind: Kustomization
      name: app`)
	testenv.WaitFor(t, env.Client, testenv.Key(f.NS, "a"), "the Alert ready", func(a *notificationv1beta3.Alert) bool {
		return testenv.ReadyCondition(a).Status == "True"
	})

	// Down: the revision is applied; its notifications are given up.
	f.ApplyYAML(syncYAML)
	first := f.Head()
	f.WaitFor("ready at "+first+" with the endpoint down", testenv.KustomizationReady(first))
	// The revision has more than one event (applied, then finished); the
	// finished one is the last, so once it is given up none of them is
	// still being retried when the endpoint comes back.
	testenv.WaitFor(t, env.Client, testenv.Key(f.NS, "webhook"), "the finished event given up", func(p *notificationv1beta3.Provider) bool {
		for _, d := range p.Status.Deliveries {
			if d.Result == "Failed" && d.Revision == first && d.Reason == "ReconciliationSucceeded" && d.Attempts == 3 {
				return true
			}
		}
		return false
	})
	testenv.Eventually(t, "a NotificationFailed event on the Alert", func() (bool, string) {
		for _, e := range testenv.Events(t, env.Client, notificationv1beta3.AlertKind, f.NS, "a") {
			if e.Type == corev1.EventTypeWarning && e.Reason == "NotificationFailed" && strings.Contains(e.Message, "Kustomization/"+f.NS+"/app") {
				return true, ""
			}
		}
		return false, "none yet"
	})

	// Slow: answers come after the timeout; the next revision is applied
	// all the same.
	ep.setMode("slow")
	second := f.Commit("two", appFiles("2"))
	f.RequestReconcile(&sourcev1.GitRepository{}, "app")
	f.WaitFor("ready at "+second+" with the endpoint slow", testenv.KustomizationReady(second))

	// Back: the next revision is delivered, exactly once.
	ep.setMode("ok")
	third := f.Commit("three", appFiles("3"))
	f.RequestReconcile(&sourcev1.GitRepository{}, "app")
	f.WaitFor("ready at "+third, testenv.KustomizationReady(third))
	ep.waitFor(t, "the event of "+third, 1, finished(third))
	settle()
	if got := ep.received(finished(third)); len(got) != 1 {
		t.Errorf("%d notifications of %s after the endpoint came back, want 1", len(got), third)
	}
	if got := ep.received(withRevision(first)); len(got) != 0 {
		t.Errorf("the given-up notifications of %s arrived later: %v", first, paths(got))
	}
}
