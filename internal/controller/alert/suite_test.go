package alert_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ferrycd/ferry/internal/controller"
	"github.com/ferrycd/ferry/internal/notification"
	"github.com/ferrycd/ferry/internal/testenv"
)

// The suite runs the GitRepository, Kustomization, Provider and Alert
// controllers and the dispatcher in one manager, with fast delivery
// retries; each test has its own namespace, repository and recording
// endpoint.
var env *testenv.Env

// Tokens the tests put in Secrets: the controllers must never log them.
const (
	hmacToken   = "hmac-token-5f1e0c"
	githubToken = "ghp_statusToken9a7c"
	hookPath    = "/services/T0000/B0000/webhookSecretPath"
)

func TestMain(m *testing.M) {
	env = testenv.Start(testenv.Options{
		GitServer: true,
		Manager: &controller.Options{
			Controllers:       []string{"gitrepository", "kustomization", "provider", "alert"},
			Concurrent:        2,
			DependencyRequeue: time.Second,
			Notification: notification.Config{
				MaxAttempts: 3,
				MinBackoff:  100 * time.Millisecond,
				MaxBackoff:  300 * time.Millisecond,
			},
		},
		Secrets: []string{hmacToken, githubToken, hookPath},
	})
	os.Exit(env.Run(m))
}

// request is what an endpoint received.
type request struct {
	Method, Path string
	Header       http.Header
	Body         []byte
}

// event decodes the body as Flux's event JSON.
func (r request) event(t *testing.T) map[string]any {
	t.Helper()
	m := map[string]any{}
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("body is not JSON: %v: %s", err, r.Body)
	}
	return m
}

// endpoint is a real HTTP server on loopback that records every request
// and answers as its mode says: "ok" (200), "fail" (500), "down" (the
// connection is closed without an answer) or "slow" (an answer after
// delay, beyond the Provider's timeout).
type endpoint struct {
	*httptest.Server
	mu    sync.Mutex
	mode  string
	delay time.Duration
	reqs  []request
}

func newEndpoint(t *testing.T) *endpoint {
	e := &endpoint{mode: "ok", delay: 3 * time.Second}
	e.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		e.mu.Lock()
		mode := e.mode
		e.mu.Unlock()
		switch mode {
		case "down":
			if hj, ok := w.(http.Hijacker); ok {
				if conn, _, err := hj.Hijack(); err == nil {
					conn.Close()
					return
				}
			}
		case "slow":
			select {
			case <-time.After(e.delay):
			case <-r.Context().Done():
				return // the client gave up: nothing was received
			}
		}
		e.mu.Lock()
		if mode != "down" {
			e.reqs = append(e.reqs, request{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body})
		}
		e.mu.Unlock()
		if mode == "fail" {
			http.Error(w, "try later", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(e.Close)
	return e
}

func (e *endpoint) setMode(m string) {
	e.mu.Lock()
	e.mode = m
	e.mu.Unlock()
}

// received returns the requests so far that satisfy keep.
func (e *endpoint) received(keep func(request) bool) []request {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []request
	for _, r := range e.reqs {
		if keep == nil || keep(r) {
			out = append(out, r)
		}
	}
	return out
}

// waitFor waits until at least n requests satisfy keep and returns them.
func (e *endpoint) waitFor(t *testing.T, what string, n int, keep func(request) bool) []request {
	t.Helper()
	var got []request
	testenv.Eventually(t, what, func() (bool, string) {
		got = e.received(keep)
		return len(got) >= n, strings.Join(paths(e.received(nil)), ", ")
	})
	return got
}

func paths(rs []request) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Method + " " + r.Path + " " + string(r.Body)
	}
	return out
}

// withRevision keeps the event requests about revision.
func withRevision(revision string) func(request) bool {
	return func(r request) bool { return strings.Contains(string(r.Body), revision) }
}

// withReason keeps the event requests about revision with reason.
func withReason(revision, reason string) func(request) bool {
	return func(r request) bool {
		return strings.Contains(string(r.Body), revision) && strings.Contains(string(r.Body), `"reason":"`+reason+`"`)
	}
}

// finished keeps the "Reconciliation finished" events of revision.
func finished(revision string) func(request) bool {
	return withReason(revision, "ReconciliationSucceeded")
}

// secret creates a Secret in ns.
func secret(t *testing.T, ns, name string, data map[string]string) {
	t.Helper()
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, StringData: data}
	if err := env.Client.Create(context.Background(), s); err != nil {
		t.Fatal(err)
	}
}

// settle gives the dispatcher time to send what it would send, before a
// test checks that something was not sent. It is a grace period for an
// absence, never a timing assertion.
func settle() { time.Sleep(2 * time.Second) }

// appFiles is a one-ConfigMap repository at path "app".
func appFiles(value string) map[string]string {
	return map[string]string{
		"app/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - configmap.yaml\n",
		"app/configmap.yaml":     "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  value: \"" + value + "\"\n",
	}
}

// syncYAML is a GitRepository and a Kustomization "app" for the fixture.
const syncYAML = `apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: app
  namespace: {{ns}}
spec:
  interval: 1h
  url: {{url}}
  ref:
    branch: main
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: app
  namespace: {{ns}}
spec:
  interval: 1h
  retryInterval: 1h
  path: ./app
  prune: true
  targetNamespace: {{ns}}
  sourceRef:
    kind: GitRepository
    name: app`
