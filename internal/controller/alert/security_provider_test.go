package alert_test

import (
	"encoding/json"
	"net"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	notificationv1beta3 "github.com/ferrycd/ferry/api/notification/v1beta3"
	"github.com/ferrycd/ferry/internal/testenv"
)

// closedAddr is a loopback host:port nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// TestProviderSecretsNeverShown sends notifications through Providers
// whose Secrets hold what must stay secret, to places that fail: an
// address (webhook path and query token) nothing listens on, with an
// Authorization header; the same through a proxy with a password that
// refuses connections; an address whose path Go's URL printing
// re-escapes; a working address answering 500 to a bearer token. Every
// delivery fails, and neither the address's path and token, the header,
// the proxy's password nor the token is in the Providers' or Alerts'
// status, their events, the dispatch log or the controllers' logs.
func TestProviderSecretsNeverShown(t *testing.T) {
	ep := newEndpoint(t)
	ep.setMode("fail")
	f := env.NewFixture(t, appFiles("1"))
	down := closedAddr(t)
	secrets := map[string]string{
		"path":        "/hooks/T0SEC/B0SEC/pathSecret7f3a",
		"query":       "qtok-9c1d5e",
		"header":      "hdr-bearer-4b2a",
		"proxy":       "proxy-pa55-e81f",
		"escaped":     "esc aped|path{secret}-77",
		"token":       "bearer-token-06d9",
		"escaped-url": "esc%20aped%7Cpath%7Bsecret%7D-77",
	}
	secret(t, f.NS, "down", map[string]string{
		"address": "http://" + down + secrets["path"] + "?token=" + secrets["query"],
		"headers": "Authorization: Bearer " + secrets["header"] + "\n",
	})
	secret(t, f.NS, "proxied", map[string]string{"address": "http://endpoint.invalid" + secrets["path"] + "?token=" + secrets["query"]})
	secret(t, f.NS, "proxy", map[string]string{"address": "http://" + closedAddr(t), "username": "ferry", "password": secrets["proxy"]})
	secret(t, f.NS, "escaped", map[string]string{"address": "http://" + down + "/" + secrets["escaped"]})
	secret(t, f.NS, "failing", map[string]string{"address": ep.URL + secrets["path"], "token": secrets["token"]})
	var stream strings.Builder
	for _, p := range []struct{ name, extra string }{
		{"down", ""},
		{"proxied", "  proxySecretRef:\n    name: proxy\n"},
		{"escaped", ""},
		{"failing", ""},
	} {
		stream.WriteString(`apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata:
  name: ` + p.name + `
  namespace: {{ns}}
spec:
  type: generic
  timeout: 2s
  secretRef:
    name: ` + p.name + `
` + p.extra + `---
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Alert
metadata:
  name: ` + p.name + `
  namespace: {{ns}}
spec:
  providerRef:
    name: ` + p.name + `
  eventSources:
    - kind: Kustomization
      name: app
---
`)
	}
	f.ApplyYAML(strings.TrimSuffix(stream.String(), "---\n"))
	names := []string{"down", "proxied", "escaped", "failing"}
	for _, name := range names {
		testenv.WaitFor(t, env.Client, testenv.Key(f.NS, name), "the Alert "+name+" ready", func(a *notificationv1beta3.Alert) bool {
			return testenv.ReadyCondition(a).Status == "True"
		})
	}
	logged := len(env.Logs.String())
	f.ApplyYAML(syncYAML)
	f.WaitFor("ready", testenv.KustomizationReady(f.Head()))

	var texts []string
	for _, name := range names {
		p := testenv.WaitFor(t, env.Client, testenv.Key(f.NS, name), "a Failed delivery of "+name, func(p *notificationv1beta3.Provider) bool {
			for _, d := range p.Status.Deliveries {
				if d.Result == "Failed" && d.Attempts == 3 {
					return true
				}
			}
			return false
		})
		t.Logf("%s: %s", name, p.Status.Deliveries[0].Message)
		status, _ := json.Marshal(p.Status)
		texts = append(texts, "the status of Provider "+name+": "+string(status))
		testenv.Eventually(t, "a NotificationFailed event on the Alert "+name, func() (bool, string) {
			for _, e := range testenv.Events(t, env.Client, notificationv1beta3.AlertKind, f.NS, name) {
				if e.Type == corev1.EventTypeWarning && e.Reason == "NotificationFailed" {
					return true, ""
				}
			}
			return false, "none yet"
		})
		a := &notificationv1beta3.Alert{}
		if err := env.Client.Get(t.Context(), testenv.Key(f.NS, name), a); err != nil {
			t.Fatal(err)
		}
		status, _ = json.Marshal(a.Status)
		texts = append(texts, "the status of Alert "+name+": "+string(status))
		for _, e := range testenv.Events(t, env.Client, "", f.NS, name) {
			texts = append(texts, "event "+e.Reason+" of "+e.InvolvedObject.Kind+" "+name+": "+e.Message)
		}
	}
	if got := ep.received(nil); len(got) == 0 || got[0].Path != secrets["path"] {
		t.Errorf("the failing endpoint saw %v", paths(got))
	}
	decisions, _ := json.Marshal(env.Dispatches.Decisions())
	texts = append(texts, "the dispatch log: "+string(decisions), "the controllers' logs: "+env.Logs.String()[logged:])
	for _, text := range texts {
		for what, s := range secrets {
			if strings.Contains(text, strings.TrimPrefix(s, "/")) {
				t.Errorf("%.60s... shows the %s secret %q", text, what, s)
			}
		}
	}
}
