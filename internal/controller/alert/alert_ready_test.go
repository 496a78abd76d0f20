package alert_test

import (
	"strings"
	"testing"

	notificationv1beta3 "github.com/ferrycd/ferry/api/notification/v1beta3"
	"github.com/ferrycd/ferry/internal/testenv"
)

// TestAlertWaitsForItsProvider: an Alert whose Provider is missing is
// Ready=False naming it, and becomes Ready once the Provider exists.
func TestAlertWaitsForItsProvider(t *testing.T) {
	ns := env.NewNamespace(t, "alert")
	f := &testenv.Fixture{T: t, Env: env, NS: ns}
	f.ApplyYAML(`apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Alert
metadata:
  name: a
  namespace: {{ns}}
spec:
  providerRef:
    name: chat
  eventSources:
    - kind: GitRepository
      name: '*'`)
	testenv.WaitFor(t, env.Client, testenv.Key(ns, "a"), "ProviderNotFound", func(a *notificationv1beta3.Alert) bool {
		c := testenv.ReadyCondition(a)
		return c.Status == "False" && c.Reason == "ProviderNotFound" && strings.Contains(c.Message, "Provider '"+ns+"/chat' not found")
	})
	f.ApplyYAML(`apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata:
  name: chat
  namespace: {{ns}}
spec:
  type: generic
  address: http://127.0.0.1:1/hook`)
	testenv.WaitFor(t, env.Client, testenv.Key(ns, "a"), "ready once the Provider exists", func(a *notificationv1beta3.Alert) bool {
		return testenv.ReadyCondition(a).Status == "True"
	})
}

// TestProviderSecret: a Provider whose Secret is missing says so (naming
// the Secret, never a value), and recovers when the Secret appears; an
// Alert on it reports the Provider not ready meanwhile.
func TestProviderSecret(t *testing.T) {
	ns := env.NewNamespace(t, "provider")
	f := &testenv.Fixture{T: t, Env: env, NS: ns}
	f.ApplyYAML(`apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata:
  name: slack
  namespace: {{ns}}
spec:
  type: slack
  channel: deployments
  username: Flux
  secretRef:
    name: slack-webhook-url
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
      name: '*'`)
	testenv.WaitFor(t, env.Client, testenv.Key(ns, "slack"), "the missing Secret named", func(p *notificationv1beta3.Provider) bool {
		c := testenv.ReadyCondition(p)
		return c.Status == "False" && strings.Contains(c.Message, "'"+ns+"/slack-webhook-url' not found")
	})
	testenv.WaitFor(t, env.Client, testenv.Key(ns, "a"), "ProviderNotReady", func(a *notificationv1beta3.Alert) bool {
		c := testenv.ReadyCondition(a)
		return c.Reason == "ProviderNotReady" && strings.Contains(c.Message, "slack-webhook-url")
	})
	secret(t, ns, "slack-webhook-url", map[string]string{"address": "https://hooks.slack.example" + hookPath})
	testenv.WaitFor(t, env.Client, testenv.Key(ns, "slack"), "ready once the Secret exists", func(p *notificationv1beta3.Provider) bool {
		return testenv.ReadyCondition(p).Status == "True"
	})
	testenv.WaitFor(t, env.Client, testenv.Key(ns, "a"), "the Alert ready", func(a *notificationv1beta3.Alert) bool {
		return testenv.ReadyCondition(a).Status == "True"
	})
	p := &notificationv1beta3.Provider{}
	if err := env.Client.Get(t.Context(), testenv.Key(ns, "slack"), p); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(testenv.Dump(p.Status), hookPath) {
		t.Errorf("the Provider's status holds its address: %s", testenv.Dump(p.Status))
	}
}

// TestUnsupportedProviderType: a type of Flux's enum that ferry does not
// send to yet is Stalled with a message listing what is supported.
func TestUnsupportedProviderType(t *testing.T) {
	ns := env.NewNamespace(t, "provider")
	f := &testenv.Fixture{T: t, Env: env, NS: ns}
	f.ApplyYAML(`apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata:
  name: sentry
  namespace: {{ns}}
spec:
  type: sentry
  address: https://sentry.example/1`)
	testenv.WaitFor(t, env.Client, testenv.Key(ns, "sentry"), "stalled", func(p *notificationv1beta3.Provider) bool {
		c := testenv.ReadyCondition(p)
		return c.Status == "False" && strings.Contains(c.Message, `"sentry" is not supported`) && strings.Contains(c.Message, "slack")
	})
}

// TestInvalidAlertStalls: an exclusion expression that does not compile
// stalls the Alert with the expression named.
func TestInvalidAlertStalls(t *testing.T) {
	ns := env.NewNamespace(t, "alert")
	f := &testenv.Fixture{T: t, Env: env, NS: ns}
	f.ApplyYAML(`apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Alert
metadata:
  name: a
  namespace: {{ns}}
spec:
  providerRef:
    name: chat
  exclusionList: ["(unclosed"]
  eventSources:
    - kind: Kustomization
      name: '*'`)
	testenv.WaitFor(t, env.Client, testenv.Key(ns, "a"), "stalled", func(a *notificationv1beta3.Alert) bool {
		c := testenv.ReadyCondition(a)
		return c.Status == "False" && c.Reason == "ValidationFailed" && strings.Contains(c.Message, "exclusionList[0]")
	})
}
