package gitrepository_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/testenv"
)

const (
	gitUser     = "git-user"
	gitPassword = "pa55w0rd-that-must-not-leak"
	bearerToken = "t0ken-that-must-not-leak"
)

func secret(ns, name string, data map[string]string) *corev1.Secret {
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Data: map[string][]byte{}}
	for k, v := range data {
		s.Data[k] = []byte(v)
	}
	return s
}

func withSecret(name string) func(*sourcev1.GitRepository) {
	return func(gr *sourcev1.GitRepository) { gr.Spec.SecretRef = &meta.LocalObjectReference{Name: name} }
}

func withCredentialsInURL(user, password string) func(*sourcev1.GitRepository) {
	return func(gr *sourcev1.GitRepository) {
		u, _ := url.Parse(gr.Spec.URL)
		u.User = url.UserPassword(user, password)
		gr.Spec.URL = u.String()
	}
}

// TestFailures checks that each way of failing ends in Ready=False with the
// reason Flux uses and a message that names the problem, never the
// password, and that misconfigurations stall instead of retrying.
func TestFailures(t *testing.T) {
	git, _, _ := newGitServer(t, basicAuth(gitUser, gitPassword))
	repoURL := git.RepoURL("org/app")
	good := map[string]string{"username": gitUser, "password": gitPassword}
	wrong := map[string]string{"username": gitUser, "password": "wrong-" + gitPassword}

	tests := map[string]struct {
		secret   map[string]string
		mutate   []func(*sourcev1.GitRepository)
		reason   string
		contains []string
		stalled  bool
	}{
		"unknown branch": {
			secret: good,
			mutate: []func(*sourcev1.GitRepository){withSecret("creds"), func(gr *sourcev1.GitRepository) {
				gr.Spec.Reference.Branch = "does-not-exist"
			}},
			reason:   meta.GitOperationFailedReason,
			contains: []string{"failed to checkout and determine revision", `refs/heads/does-not-exist`, repoURL},
		},
		"unreachable URL": {
			mutate: []func(*sourcev1.GitRepository){func(gr *sourcev1.GitRepository) {
				gr.Spec.URL = "http://127.0.0.1:1/org/app"
			}, withCredentialsInURL(gitUser, gitPassword)},
			reason:   meta.GitOperationFailedReason,
			contains: []string{"http://127.0.0.1:1/org/app", "connection refused"},
		},
		"wrong password": {
			secret:   wrong,
			mutate:   []func(*sourcev1.GitRepository){withSecret("creds")},
			reason:   meta.AuthenticationFailedReason,
			contains: []string{"authentication required", repoURL, "rejected the credentials of secret", "/creds'"},
		},
		"wrong password in the URL": {
			mutate:   []func(*sourcev1.GitRepository){withCredentialsInURL(gitUser, "wrong-"+gitPassword)},
			reason:   meta.AuthenticationFailedReason,
			contains: []string{"authentication required", repoURL, "rejected the credentials in spec.url"},
		},
		"no credentials": {
			reason:   meta.AuthenticationFailedReason,
			contains: []string{"authentication required", "set spec.secretRef"},
		},
		"missing secret": {
			mutate:   []func(*sourcev1.GitRepository){withSecret("absent")},
			reason:   meta.AuthenticationFailedReason,
			contains: []string{"failed to get secret", "absent"},
		},
		"invalid secret": {
			secret:   map[string]string{"password": gitPassword},
			mutate:   []func(*sourcev1.GitRepository){withSecret("creds")},
			reason:   meta.AuthenticationFailedReason,
			contains: []string{"'password' requires 'username' to be set"},
		},
		"ssh URL without secret": {
			mutate: []func(*sourcev1.GitRepository){func(gr *sourcev1.GitRepository) {
				gr.Spec.URL = "ssh://git@example.com/org/app"
			}},
			reason:   meta.AuthenticationFailedReason,
			contains: []string{"ssh://example.com/org/app", "requires a secret with 'identity' and 'known_hosts'"},
			stalled:  true,
		},
		"no tag matches the semver range": {
			secret: good,
			mutate: []func(*sourcev1.GitRepository){withSecret("creds"), func(gr *sourcev1.GitRepository) {
				gr.Spec.Reference = &sourcev1.GitRepositoryRef{SemVer: ">=1.0.0"}
			}},
			reason:   meta.GitOperationFailedReason,
			contains: []string{"no match found for semver: >=1.0.0"},
		},
		"invalid semver range": {
			secret: good,
			mutate: []func(*sourcev1.GitRepository){withSecret("creds"), func(gr *sourcev1.GitRepository) {
				gr.Spec.Reference = &sourcev1.GitRepositoryRef{SemVer: "one point oh"}
			}},
			reason:   meta.GitOperationFailedReason,
			contains: []string{"semver parse error", "'one point oh'"},
			stalled:  true,
		},
		"unknown ref name": {
			secret: good,
			mutate: []func(*sourcev1.GitRepository){withSecret("creds"), func(gr *sourcev1.GitRepository) {
				gr.Spec.Reference = &sourcev1.GitRepositoryRef{Name: "refs/pull/7/head"}
			}},
			reason:   meta.GitOperationFailedReason,
			contains: []string{"refs/pull/7/head"},
		},
		"commit not on the branch": {
			secret: good,
			mutate: []func(*sourcev1.GitRepository){withSecret("creds"), func(gr *sourcev1.GitRepository) {
				gr.Spec.Reference = &sourcev1.GitRepositoryRef{Branch: "main", Commit: strings.Repeat("ab", 20)}
			}},
			reason:   meta.GitOperationFailedReason,
			contains: []string{"unable to resolve commit object for '" + strings.Repeat("ab", 20) + "' on 'main'"},
		},
		"unknown tag": {
			secret: good,
			mutate: []func(*sourcev1.GitRepository){withSecret("creds"), func(gr *sourcev1.GitRepository) {
				gr.Spec.Reference = &sourcev1.GitRepositoryRef{Tag: "v9.9.9"}
			}},
			reason:   meta.GitOperationFailedReason,
			contains: []string{"refs/tags/v9.9.9"},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ns := newNamespace(t)
			if tt.secret != nil {
				create(t, secret(ns, "creds", tt.secret))
			}
			gr := newGitRepository(ns, "app", repoURL, tt.mutate...)
			create(t, gr)
			key := client.ObjectKeyFromObject(gr)
			gr = waitFor(t, key, "failed", func(gr *sourcev1.GitRepository) bool {
				c := cond(gr, meta.ReadyCondition)
				// A retry that got past ls-remote (a commit is not listed)
				// shows Reconciling=Progressing while it fetches: wait for
				// the failure it ends in.
				r := cond(gr, meta.ReconcilingCondition)
				settled := tt.stalled || (r != nil && r.Reason == meta.ProgressingWithRetryReason)
				return c != nil && c.Status == metav1.ConditionFalse && c.Reason == tt.reason && settled
			})
			ready := cond(gr, meta.ReadyCondition)
			t.Logf("Ready=False %s: %s", ready.Reason, ready.Message)
			for _, s := range tt.contains {
				if !strings.Contains(ready.Message, s) {
					t.Errorf("Ready message %q lacks %q", ready.Message, s)
				}
			}
			fetch := cond(gr, meta.FetchFailedCondition)
			if fetch == nil || fetch.Status != metav1.ConditionTrue || fetch.Reason != tt.reason || fetch.Message != ready.Message {
				t.Errorf("FetchFailed = %+v, want True with Ready's reason and message", fetch)
			}
			if gr.Status.Artifact != nil {
				t.Errorf("artifact recorded although fetching failed: %+v", gr.Status.Artifact)
			}
			stalled, reconciling := cond(gr, meta.StalledCondition), cond(gr, meta.ReconcilingCondition)
			if tt.stalled {
				if stalled == nil || stalled.Status != metav1.ConditionTrue || reconciling != nil {
					t.Errorf("Stalled = %+v, Reconciling = %+v; want stalled, not reconciling", stalled, reconciling)
				}
				if gr.Status.ObservedGeneration != gr.Generation {
					t.Errorf("observedGeneration = %d on a stalled object, want %d", gr.Status.ObservedGeneration, gr.Generation)
				}
			} else {
				if stalled != nil || reconciling == nil || reconciling.Reason != meta.ProgressingWithRetryReason {
					t.Errorf("Stalled = %+v, Reconciling = %+v; want retrying", stalled, reconciling)
				}
			}
			waitForEvent(t, ns, "app", corev1.EventTypeWarning, tt.reason)
			testenv.AssertNoSecret(t, env.Client, gr, gitPassword)
			testenv.AssertNoSecret(t, env.Client, gr, url.UserPassword(gitUser, gitPassword).String())
		})
	}
}

// TestRecoversAfterFix fixes a wrong password and checks that the next
// reconcile stores the artifact and clears the failure.
func TestRecoversAfterFix(t *testing.T) {
	ns := newNamespace(t)
	git, _, head := newGitServer(t, basicAuth(gitUser, gitPassword))
	creds := secret(ns, "creds", map[string]string{"username": gitUser, "password": "wrong"})
	create(t, creds)
	gr := newGitRepository(ns, "app", git.RepoURL("org/app"), withSecret("creds"))
	create(t, gr)
	key := client.ObjectKeyFromObject(gr)
	waitFor(t, key, "failed", func(gr *sourcev1.GitRepository) bool {
		c := cond(gr, meta.ReadyCondition)
		return c != nil && c.Reason == meta.AuthenticationFailedReason
	})

	creds.Data["password"] = []byte(gitPassword)
	if err := env.Client.Update(context.Background(), creds); err != nil {
		t.Fatal(err)
	}
	requestReconcile(t, key)
	gr = waitFor(t, key, "Ready", isReadyWith("main@sha1:"+head))
	for _, gone := range []string{meta.FetchFailedCondition, meta.ReconcilingCondition, meta.StalledCondition} {
		if c := cond(gr, gone); c != nil {
			t.Errorf("%s still present after recovery: %+v", gone, c)
		}
	}
	waitForEvent(t, ns, "app", corev1.EventTypeNormal, "NewArtifact")
	testenv.AssertNoSecret(t, env.Client, gr, gitPassword)
}

// TestStalledObjectResumesOnSpecChange checks that a stalled object
// reconciles again once its spec is fixed, then authenticates with a Secret.
func TestStalledObjectResumesOnSpecChange(t *testing.T) {
	ns := newNamespace(t)
	git, _, head := newGitServer(t, basicAuth(gitUser, gitPassword))
	create(t, secret(ns, "creds", map[string]string{"username": gitUser, "password": gitPassword}))
	gr := newGitRepository(ns, "app", git.RepoURL("org/app"), withSecret("creds"), func(gr *sourcev1.GitRepository) {
		gr.Spec.Reference = &sourcev1.GitRepositoryRef{SemVer: "not a range"}
	})
	create(t, gr)
	key := client.ObjectKeyFromObject(gr)
	gr = waitFor(t, key, "stalled", func(gr *sourcev1.GitRepository) bool {
		c := cond(gr, meta.StalledCondition)
		return c != nil && c.Status == metav1.ConditionTrue
	})
	gr.Spec.Reference = &sourcev1.GitRepositoryRef{Branch: "main"}
	if err := env.Client.Update(context.Background(), gr); err != nil {
		t.Fatal(err)
	}
	gr = waitFor(t, key, "Ready", isReadyWith("main@sha1:"+head))
	if c := cond(gr, meta.StalledCondition); c != nil {
		t.Errorf("Stalled still present: %+v", c)
	}
	testenv.AssertNoSecret(t, env.Client, gr, gitPassword)
}
