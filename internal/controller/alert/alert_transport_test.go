package alert_test

import (
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	notificationv1beta3 "github.com/ferrycd/ferry/api/notification/v1beta3"
	"github.com/ferrycd/ferry/internal/testenv"
)

// TestProviderTLSAndProxy: a Provider reaches an HTTPS endpoint whose CA
// is in certSecretRef, and a plain HTTP one through the proxy its Secret
// names (with the headers its Secret sets).
func TestProviderTLSAndProxy(t *testing.T) {
	var mu sync.Mutex
	var tlsBodies []string
	tlsEP := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		tlsBodies = append(tlsBodies, string(b))
		mu.Unlock()
	}))
	defer tlsEP.Close()
	ca := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: tlsEP.Certificate().Raw}))

	var proxied []*http.Request
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		proxied = append(proxied, r.Clone(r.Context()))
		mu.Unlock()
	}))
	defer proxy.Close()

	f := env.NewFixture(t, appFiles("1"))
	secret(t, f.NS, "ca", map[string]string{"ca.crt": ca})
	secret(t, f.NS, "via-proxy", map[string]string{
		"address": "http://endpoint.invalid/flux",
		"proxy":   proxy.URL,
		"headers": "X-Team: payments\n",
	})
	f.ApplyYAML(`apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata:
  name: tls
  namespace: {{ns}}
spec:
  type: generic
  address: ` + tlsEP.URL + `/flux
  certSecretRef:
    name: ca
---
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata:
  name: proxied
  namespace: {{ns}}
spec:
  type: generic
  secretRef:
    name: via-proxy
---
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Alert
metadata:
  name: tls
  namespace: {{ns}}
spec:
  providerRef:
    name: tls
  eventSources:
    - kind: Kustomization
      name: app
---
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Alert
metadata:
  name: proxied
  namespace: {{ns}}
spec:
  providerRef:
    name: proxied
  eventSources:
    - kind: Kustomization
      name: app`)
	for _, name := range []string{"tls", "proxied"} {
		testenv.WaitFor(t, env.Client, testenv.Key(f.NS, name), "the Alert "+name+" ready", func(a *notificationv1beta3.Alert) bool {
			return testenv.ReadyCondition(a).Status == "True"
		})
	}
	f.ApplyYAML(syncYAML)
	rev := f.Head()
	f.WaitFor("ready", testenv.KustomizationReady(rev))
	testenv.Eventually(t, "events over TLS and through the proxy", func() (bool, string) {
		mu.Lock()
		defer mu.Unlock()
		tlsOK := false
		for _, b := range tlsBodies {
			tlsOK = tlsOK || strings.Contains(b, rev)
		}
		proxyOK := false
		for _, r := range proxied {
			proxyOK = proxyOK || (r.URL.String() == "http://endpoint.invalid/flux" && r.Header.Get("X-Team") == "payments")
		}
		return tlsOK && proxyOK, ""
	})
}
