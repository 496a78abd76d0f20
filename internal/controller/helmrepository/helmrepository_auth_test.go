package helmrepository_test

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/helm/helmtest"
	"github.com/ferrycd/ferry/internal/testenv"
)

// TestBasicAuthAndTLS reaches an HTTPS repository with basic auth, trusting
// its CA through spec.certSecretRef.
func TestBasicAuthAndTLS(t *testing.T) {
	ns := newNamespace(t)
	r := helmtest.NewHTTPRepo(t, helmtest.HTTPRepoOptions{Username: helmUser, Password: helmPassword, TLS: true})
	r.Add(t, helmtest.Chart{Name: "demo", Version: "1.0.0"})
	create(t, secret(ns, "creds", map[string]string{"username": helmUser, "password": helmPassword}))
	create(t, secret(ns, "ca", map[string]string{"ca.crt": string(r.CACert())}))
	hr := newHelmRepository(ns, "charts", r.URL(), withSecret("creds"), withCertSecret("ca"))
	create(t, hr)
	hr = waitFor(t, client.ObjectKeyFromObject(hr), "Ready", isReady)
	if !strings.Contains(string(testenv.FetchArtifact(t, hr.Status.Artifact)), "demo-1.0.0.tgz") {
		t.Error("stored index lacks the chart")
	}
	testenv.AssertNoSecret(t, env.Client, hr, helmPassword)
}

// TestAuthFailures checks each way authentication fails: Ready=False with a
// message naming the problem and never the password, retried rather than
// stalled.
func TestAuthFailures(t *testing.T) {
	r := helmtest.NewHTTPRepo(t, helmtest.HTTPRepoOptions{Username: helmUser, Password: helmPassword, TLS: true})
	r.Add(t, helmtest.Chart{Name: "demo", Version: "1.0.0"})
	ca := map[string]string{"ca.crt": string(r.CACert())}

	tests := map[string]struct {
		secrets  map[string]map[string]string
		mutate   []func(*sourcev1.HelmRepository)
		contains []string
	}{
		"wrong password": {
			secrets:  map[string]map[string]string{"creds": {"username": helmUser, "password": "wrong-" + helmPassword}, "ca": ca},
			mutate:   []func(*sourcev1.HelmRepository){withSecret("creds"), withCertSecret("ca")},
			contains: []string{"failed to fetch Helm repository index", "401 Unauthorized", "rejected the credentials", "secret '", "/creds'"},
		},
		"no credentials": {
			secrets:  map[string]map[string]string{"ca": ca},
			mutate:   []func(*sourcev1.HelmRepository){withCertSecret("ca")},
			contains: []string{"401 Unauthorized", "set spec.secretRef"},
		},
		"missing secretRef": {
			secrets:  map[string]map[string]string{"ca": ca},
			mutate:   []func(*sourcev1.HelmRepository){withSecret("absent"), withCertSecret("ca")},
			contains: []string{"failed to get secret", "/absent'"},
		},
		"missing certSecretRef": {
			secrets:  map[string]map[string]string{"creds": {"username": helmUser, "password": helmPassword}},
			mutate:   []func(*sourcev1.HelmRepository){withSecret("creds"), withCertSecret("absent-ca")},
			contains: []string{"failed to get secret", "/absent-ca'"},
		},
		"secret without password": {
			secrets:  map[string]map[string]string{"creds": {"username": helmUser}, "ca": ca},
			mutate:   []func(*sourcev1.HelmRepository){withSecret("creds"), withCertSecret("ca")},
			contains: []string{"'username' requires 'password' to be set"},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ns := newNamespace(t)
			for n, data := range tt.secrets {
				create(t, secret(ns, n, data))
			}
			hr := newHelmRepository(ns, "charts", r.URL(), tt.mutate...)
			create(t, hr)
			hr = waitFor(t, client.ObjectKeyFromObject(hr), "failing", func(hr *sourcev1.HelmRepository) bool {
				rc := cond(hr, meta.ReconcilingCondition)
				return isFailing(meta.AuthenticationFailedReason)(hr) && rc != nil && rc.Reason == meta.ProgressingWithRetryReason
			})
			ready := cond(hr, meta.ReadyCondition)
			t.Logf("Ready=False %s: %s", ready.Reason, ready.Message)
			for _, s := range tt.contains {
				if !strings.Contains(ready.Message, s) {
					t.Errorf("Ready message %q lacks %q", ready.Message, s)
				}
			}
			if f := cond(hr, meta.FetchFailedCondition); f == nil || f.Status != metav1.ConditionTrue || f.Message != ready.Message {
				t.Errorf("FetchFailed = %+v, want True with Ready's message", f)
			}
			if s := cond(hr, meta.StalledCondition); s != nil {
				t.Errorf("stalled: %+v", s)
			}
			if hr.Status.Artifact != nil {
				t.Errorf("artifact recorded: %+v", hr.Status.Artifact)
			}
			waitForEvent(t, ns, "charts", corev1.EventTypeWarning, meta.AuthenticationFailedReason)
			testenv.AssertNoSecret(t, env.Client, hr, helmPassword)
		})
	}
}

// TestRecoversAfterFix fixes a wrong password: the next reconcile stores
// the index and clears the failure.
func TestRecoversAfterFix(t *testing.T) {
	ns := newNamespace(t)
	r := helmtest.NewHTTPRepo(t, helmtest.HTTPRepoOptions{Username: helmUser, Password: helmPassword})
	r.Add(t, helmtest.Chart{Name: "demo", Version: "1.0.0"})
	creds := secret(ns, "creds", map[string]string{"username": helmUser, "password": "wrong-password"})
	create(t, creds)
	hr := newHelmRepository(ns, "charts", r.URL(), withSecret("creds"))
	create(t, hr)
	key := client.ObjectKeyFromObject(hr)
	waitFor(t, key, "failing", isFailing(meta.AuthenticationFailedReason))

	creds.Data["password"] = []byte(helmPassword)
	if err := env.Client.Update(context.Background(), creds); err != nil {
		t.Fatal(err)
	}
	requestReconcile(t, key)
	hr = waitFor(t, key, "Ready", isReady)
	for _, gone := range []string{meta.FetchFailedCondition, meta.ReconcilingCondition, meta.StalledCondition} {
		if c := cond(hr, gone); c != nil {
			t.Errorf("%s still present after recovery: %+v", gone, c)
		}
	}
	waitForEvent(t, ns, "charts", corev1.EventTypeNormal, "NewArtifact")
	testenv.AssertNoSecret(t, env.Client, hr, helmPassword)
}
