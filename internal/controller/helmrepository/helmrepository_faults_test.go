package helmrepository_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/helm/helmtest"
	"github.com/ferrycd/ferry/internal/testenv"
	"github.com/ferrycd/ferry/internal/testserver"
)

// faultTimeout is the spec.timeout of the faulted HelmRepositories: a
// stall outlives it.
const faultTimeout = 2 * time.Second

// TestFaults puts a fault-injecting proxy (https, spec.certSecretRef
// trusting its CA, basic auth) in front of the chart repository, lets a
// HelmRepository get ready, adds a chart (a new index) and injects each
// fault. The HelmRepository must end Ready=False with a message that says
// what failed and never the password, and keep the previous index
// recorded and served; once the server is back it must recover by itself,
// with no spec change and no requested reconcile, to the new index.
// (TestServerDown covers a server answering 503.)
func TestFaults(t *testing.T) {
	index := testserver.PathContains("/index.yaml", http.MethodGet)
	page := []byte("<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body><form action=\"/login\">Sign in</form></body></html>\n")
	tests := map[string]struct {
		fault    testserver.Fault
		reason   string
		contains []string
		// stalls: the fault holds responses, which the controller must
		// abandon at spec.timeout.
		stalls bool
	}{
		"down": {
			fault: testserver.Refused(), reason: meta.FailedReason,
			contains: []string{"failed to download index from 'https://127.0.0.1:", "connection refused"},
		},
		"connection reset": {
			fault: testserver.ResetConnections(), reason: meta.FailedReason,
			contains: []string{"failed to download index from 'https://127.0.0.1:", "connection reset by peer"},
		},
		"slow index": {
			fault: testserver.Stalled(0).On(index), reason: meta.FailedReason,
			contains: []string{"failed to download index from 'https://127.0.0.1:", "context deadline exceeded (spec.timeout is 2s)"},
			stalls:   true,
		},
		"index stalls midway": {
			fault: testserver.StalledAfter(100, 0).On(index), reason: meta.FailedReason,
			contains: []string{"failed to download index from 'https://127.0.0.1:", "context deadline exceeded (spec.timeout is 2s)"},
			stalls:   true,
		},
		"truncated index": {
			fault: testserver.Truncated(100).On(index), reason: meta.FailedReason,
			contains: []string{"failed to download index from 'https://127.0.0.1:", "unexpected EOF"},
		},
		"HTML login page": {
			fault:    testserver.Responding(http.StatusOK, "text/html; charset=utf-8", page).On(index),
			reason:   sourcev1.IndexationFailedReason,
			contains: []string{"failed to load Helm repository from index YAML", "/index.yaml'", "the server answered with an HTML page, not an index"},
		},
		"untrusted certificate": {
			fault: testserver.UntrustedCertificate(), reason: meta.FailedReason,
			contains: []string{"failed to download index from 'https://127.0.0.1:", "certificate signed by unknown authority"},
		},
		"plain HTTP behind https": {
			fault: testserver.PlainHTTPBehindHTTPS(), reason: meta.FailedReason,
			contains: []string{"failed to download index from 'https://127.0.0.1:", "server gave HTTP response to HTTPS client"},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ns := newNamespace(t)
			r := helmtest.NewHTTPRepo(t, helmtest.HTTPRepoOptions{Username: helmUser, Password: helmPassword})
			r.Add(t, helmtest.Chart{Name: "demo", Version: "1.0.0"})
			proxy := testserver.StartFaultProxy(t, r.URL(), testserver.FaultProxyOptions{TLS: true})
			create(t, secret(ns, "creds", map[string]string{"username": helmUser, "password": helmPassword}))
			create(t, secret(ns, "ca", map[string]string{"ca.crt": string(proxy.CA())}))
			hr := newHelmRepository(ns, "charts", proxy.URL, withSecret("creds"), withCertSecret("ca"), func(hr *sourcev1.HelmRepository) {
				hr.Spec.Interval = metav1.Duration{Duration: time.Minute}
				hr.Spec.Timeout = &metav1.Duration{Duration: faultTimeout}
			})
			create(t, hr)
			key := client.ObjectKeyFromObject(hr)
			hr = waitFor(t, key, "Ready", isReady)
			previous := hr.Status.Artifact.DeepCopy()

			// A new chart, then the fault.
			r.Add(t, helmtest.Chart{Name: "demo", Version: "1.1.0"})
			injected, abandoned := proxy.Injected(), proxy.Abandoned()
			proxy.Set(tt.fault)
			requestReconcile(t, key)
			hr = waitFor(t, key, "failed", func(hr *sourcev1.HelmRepository) bool {
				c, r := cond(hr, meta.ReadyCondition), cond(hr, meta.ReconcilingCondition)
				return c != nil && c.Status == metav1.ConditionFalse && r != nil && r.Reason == meta.ProgressingWithRetryReason
			})
			ready := cond(hr, meta.ReadyCondition)
			t.Logf("Ready=False %s: %s", ready.Reason, ready.Message)
			if ready.Reason != tt.reason {
				t.Errorf("reason %s, want %s", ready.Reason, tt.reason)
			}
			for _, s := range tt.contains {
				if !strings.Contains(ready.Message, s) {
					t.Errorf("Ready message %q lacks %q", ready.Message, s)
				}
			}
			// A refused connection never reaches the proxy; the others count.
			if tt.fault.Mode != testserver.Refuse && proxy.Injected() == injected {
				t.Errorf("the fault %s was never injected", tt.fault.Mode)
			}
			if tt.stalls && proxy.Abandoned() == abandoned {
				t.Error("no stalled request was abandoned: the controller did not give up at spec.timeout")
			}
			if c := cond(hr, meta.StalledCondition); c != nil {
				t.Errorf("a server fault stalled the object: %+v", c)
			}

			// The previous index stays recorded and served.
			if a := hr.Status.Artifact; a == nil || a.Revision != previous.Revision || a.Digest != previous.Digest {
				t.Fatalf("artifact %+v, want the previous %+v", a, previous)
			}
			if hr.Status.URL != hr.Status.Artifact.URL {
				t.Errorf("status.url %q, artifact URL %q", hr.Status.URL, hr.Status.Artifact.URL)
			}
			if c := cond(hr, meta.ArtifactInStorageCondition); c == nil || c.Status != metav1.ConditionTrue {
				t.Errorf("ArtifactInStorage = %+v, want True", c)
			}
			if served := string(testenv.FetchArtifact(t, hr.Status.Artifact)); !strings.Contains(served, "demo-1.0.0.tgz") || strings.Contains(served, "demo-1.1.0.tgz") {
				t.Errorf("served index:\n%s\nwant the previous one, with demo 1.0.0 only", served)
			}
			testenv.AssertNoSecret(t, env.Client, hr, helmPassword)
			if strings.Contains(env.Logs.String(), helmPassword) {
				t.Error("the controller logged the password")
			}

			// Back to normal: recovery by itself, to the new index.
			generation := hr.Generation
			healed := time.Now()
			proxy.Set(testserver.PassThrough())
			hr = waitFor(t, key, "Ready again", func(hr *sourcev1.HelmRepository) bool {
				return isReady(hr) && hr.Status.Artifact.Revision != previous.Revision
			})
			t.Logf("recovered in %s", time.Since(healed).Round(100*time.Millisecond))
			if hr.Generation != generation {
				t.Errorf("generation %d, was %d: the spec changed", hr.Generation, generation)
			}
			for _, gone := range []string{meta.FetchFailedCondition, meta.ArtifactOutdatedCondition} {
				if c := cond(hr, gone); c != nil {
					t.Errorf("%s still present after recovery: %+v", gone, c)
				}
			}
			if served := string(testenv.FetchArtifact(t, hr.Status.Artifact)); !strings.Contains(served, "demo-1.1.0.tgz") {
				t.Errorf("index after recovery lacks demo 1.1.0:\n%s", served)
			}
			testenv.AssertNoSecret(t, env.Client, hr, helmPassword)
		})
	}
}
