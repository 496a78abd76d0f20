package alert_test

import (
	"strings"
	"testing"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	notificationv1beta3 "github.com/ferrycd/ferry/api/notification/v1beta3"
	"github.com/ferrycd/ferry/internal/testenv"
)

// TestRepeatedFailureNotifiesOnce: a Kustomization that fails the same way
// on every retry records a Warning each time, and its Alert notifies once
// within the rate limit interval; the Slack-style Provider's failing
// endpoint never sees its secret address leak into the status.
func TestRepeatedFailureNotifiesOnce(t *testing.T) {
	ep := newEndpoint(t)
	f := env.NewFixture(t, map[string]string{"app/kustomization.yaml": "resources: [missing.yaml]\n"})
	f.ApplyYAML(`apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata:
  name: webhook
  namespace: {{ns}}
spec:
  type: generic
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
  eventSeverity: error
  eventSources:
    - kind: Kustomization
      name: '*'`)
	testenv.WaitFor(t, env.Client, testenv.Key(f.NS, "a"), "the Alert ready", func(a *notificationv1beta3.Alert) bool {
		return testenv.ReadyCondition(a).Status == "True"
	})
	f.ApplyYAML(syncYAML)

	// Three failed reconciles, each with the same Warning.
	for range 3 {
		token := f.RequestReconcile(&kustomizev1.Kustomization{}, "app")
		f.WaitFor("failed on request "+token, func(ks *kustomizev1.Kustomization) bool {
			return ks.Status.LastHandledReconcileAt == token && testenv.ReadyCondition(ks).Status == "False"
		})
	}
	settle()
	got := ep.received(nil)
	if len(got) != 1 {
		t.Fatalf("%d notifications of three identical failures, want 1: %v", len(got), paths(got))
	}
	if e := got[0].event(t); e["severity"] != "error" || !strings.Contains(e["message"].(string), "missing.yaml") {
		t.Errorf("event = %s", got[0].Body)
	}
}

// TestFailingEndpointKeepsAddressSecret: a Slack Provider whose webhook URL
// (a secret) answers 500: the failure is recorded in the Provider's status
// without the URL, and the logs never hold it (the suite checks).
func TestFailingEndpointKeepsAddressSecret(t *testing.T) {
	ep := newEndpoint(t)
	ep.setMode("fail")
	f := env.NewFixture(t, appFiles("1"))
	secret(t, f.NS, "slack-url", map[string]string{"address": ep.URL + hookPath})
	f.ApplyYAML(`apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata:
  name: slack
  namespace: {{ns}}
spec:
  type: slack
  channel: deployments
  secretRef:
    name: slack-url
---
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Alert
metadata:
  name: a
  namespace: {{ns}}
spec:
  providerRef:
    name: slack
  eventSources:
    - kind: Kustomization
      name: app`)
	testenv.WaitFor(t, env.Client, testenv.Key(f.NS, "a"), "the Alert ready", func(a *notificationv1beta3.Alert) bool {
		return testenv.ReadyCondition(a).Status == "True"
	})
	f.ApplyYAML(syncYAML)
	f.WaitFor("ready", testenv.KustomizationReady(f.Head()))
	p := testenv.WaitFor(t, env.Client, testenv.Key(f.NS, "slack"), "a Failed delivery", func(p *notificationv1beta3.Provider) bool {
		return len(p.Status.Deliveries) > 0 && p.Status.Deliveries[0].Result == "Failed"
	})
	if msg := p.Status.Deliveries[0].Message; !strings.Contains(msg, "500") || strings.Contains(msg, hookPath) {
		t.Errorf("delivery message %q: want the 500 without the webhook path", msg)
	}
	if got := ep.received(nil); len(got) == 0 || got[0].Path != hookPath {
		t.Errorf("the endpoint saw %v", paths(got))
	}
}
