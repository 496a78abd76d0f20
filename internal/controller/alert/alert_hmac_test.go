package alert_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	notificationv1beta3 "github.com/ferrycd/ferry/api/notification/v1beta3"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/testenv"
)

// TestGenericHMACOncePerRevision applies seed 001's shape (a generic
// Provider and an Alert on Kustomizations) with generic-hmac: the endpoint
// receives Flux's event JSON, signed, once per applied revision, and a
// requested reconcile that changes nothing sends nothing (Flux sends one
// for every requested reconcile, because its message carries the
// duration).
func TestGenericHMACOncePerRevision(t *testing.T) {
	ep := newEndpoint(t)
	f := env.NewFixture(t, appFiles("1"))
	secret(t, f.NS, "hmac", map[string]string{"token": hmacToken})
	f.ApplyYAML(`apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata:
  name: webhook-provider
  namespace: {{ns}}
spec:
  type: generic-hmac
  address: ` + ep.URL + `/flux
  secretRef:
    name: hmac
---
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Alert
metadata:
  name: flux-alerts
  namespace: {{ns}}
spec:
  providerRef:
    name: webhook-provider
  eventSeverity: info
  eventSources:
    - kind: Kustomization
      name: '*'`)
	testenv.WaitFor(t, env.Client, testenv.Key(f.NS, "flux-alerts"), "the Alert ready", func(a *notificationv1beta3.Alert) bool {
		return testenv.ReadyCondition(a).Status == "True"
	})
	f.ApplyYAML(syncYAML)
	first := f.Head()
	f.WaitFor("ready", testenv.KustomizationReady(first))

	// Flux's two events of an applied revision: the change set
	// (Progressing) and the end of the reconciliation.
	got := ep.waitFor(t, "the event of "+first, 1, finished(first))[0]
	if changes := ep.received(withReason(first, "Progressing")); len(changes) != 1 || !strings.Contains(string(changes[0].Body), "ConfigMap/"+f.NS+"/settings created") {
		t.Errorf("change set events: %v", paths(changes))
	}
	if got.Path != "/flux" || got.Method != "POST" {
		t.Errorf("request %s %s, want POST /flux", got.Method, got.Path)
	}
	mac := hmac.New(sha256.New, []byte(hmacToken))
	mac.Write(got.Body)
	if want := "sha256=" + hex.EncodeToString(mac.Sum(nil)); got.Header.Get("X-Signature") != want {
		t.Errorf("X-Signature = %q, want %q", got.Header.Get("X-Signature"), want)
	}
	if got.Header.Get("Content-Type") != "application/json" || got.Header.Get("Gotk-Component") != "kustomize-controller" {
		t.Errorf("headers: %v", got.Header)
	}
	e := got.event(t)
	obj, _ := e["involvedObject"].(map[string]any)
	md, _ := e["metadata"].(map[string]any)
	if obj["kind"] != "Kustomization" || obj["name"] != "app" || obj["namespace"] != f.NS ||
		obj["apiVersion"] != "kustomize.toolkit.fluxcd.io/v1" || obj["uid"] == "" {
		t.Errorf("involvedObject = %v", obj)
	}
	if e["severity"] != "info" || e["reason"] != "ReconciliationSucceeded" || e["reportingController"] != "kustomize-controller" ||
		e["timestamp"] == nil || e["message"] == "" {
		t.Errorf("event = %s", got.Body)
	}
	if md["revision"] != first {
		t.Errorf("metadata = %v, want revision %s", md, first)
	}

	// A requested reconcile with nothing new notifies nobody.
	token := f.RequestReconcile(&kustomizev1.Kustomization{}, "app")
	f.WaitFor("handled "+token, func(ks *kustomizev1.Kustomization) bool {
		return ks.Status.LastHandledReconcileAt == token
	})
	before := len(ep.received(nil))
	settle()
	if n := len(ep.received(nil)); n != before || before != 2 {
		t.Fatalf("%d requests after a reconcile that changed nothing, want 2: %v", n, paths(ep.received(nil)))
	}

	// A new revision notifies once more.
	second := f.Commit("two", appFiles("2"))
	f.RequestReconcile(&sourcev1.GitRepository{}, "app")
	f.WaitFor("ready at "+second, testenv.KustomizationReady(second))
	ep.waitFor(t, "the event of "+second, 1, finished(second))
	settle()
	if n := len(ep.received(finished(second))); n != 1 {
		t.Errorf("%d notifications of %s, want 1", n, second)
	}

	// The Provider's status lists the deliveries, newest first.
	p := testenv.WaitFor(t, env.Client, testenv.Key(f.NS, "webhook-provider"), "deliveries in the status", func(p *notificationv1beta3.Provider) bool {
		return len(p.Status.Deliveries) >= 2
	})
	d := p.Status.Deliveries[0]
	if d.Result != "Delivered" || d.Alert != "flux-alerts" || d.Revision != second || d.InvolvedObject != "Kustomization/"+f.NS+"/app" || d.Attempts != 1 {
		t.Errorf("last delivery = %+v", d)
	}
}
