package notification

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/internal/events"
	"github.com/ferrycd/ferry/internal/scheme"
)

// TestForwarder records an event through a Recorder and checks that an
// external notification-controller receives it as Flux's controllers send
// it: the event JSON with group-prefixed metadata, retried after a 500.
func TestForwarder(t *testing.T) {
	got := make(chan map[string]any, 4)
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			http.Error(w, "busy", http.StatusInternalServerError)
			return
		}
		body, _ := io.ReadAll(r.Body)
		m := map[string]any{}
		if err := json.Unmarshal(body, &m); err != nil || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("body %s, content type %q", body, r.Header.Get("Content-Type"))
		}
		got <- m
	}))
	defer srv.Close()

	bus := events.NewBus()
	f := &Forwarder{Address: srv.URL + "/", Bus: bus, Log: logr.Discard(), MinBackoff: 10 * time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- f.Start(ctx) }()
	// The subscription starts inside Start.
	deadline := time.Now().Add(10 * time.Second)
	rec := events.NewRecorder(nil, scheme.New(), "kustomize-controller", "pod-1", bus)
	ks := &kustomizev1.Kustomization{ObjectMeta: metav1.ObjectMeta{Namespace: "apps", Name: "web", UID: "u-1"}}
	var m map[string]any
	for m == nil && time.Now().Before(deadline) {
		rec.Normal(ks, "ReconciliationSucceeded", "Reconciliation finished", map[string]string{events.MetaRevision: "main@sha1:abc"})
		select {
		case m = <-got:
		case <-time.After(200 * time.Millisecond):
		}
	}
	if m == nil {
		t.Fatal("no event reached the notification-controller")
	}
	md, _ := m["metadata"].(map[string]any)
	if md["kustomize.toolkit.fluxcd.io/revision"] != "main@sha1:abc" || m["reportingController"] != "kustomize-controller" || m["reportingInstance"] != "pod-1" {
		t.Errorf("forwarded %v", m)
	}
	if calls.Load() < 2 {
		t.Errorf("the 500 was not retried")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := ValidateEventsAddr("notification-controller:80"); err == nil {
		t.Error("an address without a scheme was accepted")
	}
}
