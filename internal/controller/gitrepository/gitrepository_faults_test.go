package gitrepository_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/controller"
	"github.com/ferrycd/ferry/internal/testenv"
	"github.com/ferrycd/ferry/internal/testserver"
)

// faultsReconciler labels the Kustomizations of TestFaults, which a
// Kustomization controller of the test's own reconciles (the suite runs
// the GitRepository controller only).
const faultsReconciler = "test.ferry.dev/faults"

// faultTimeout is the spec.timeout of the faulted GitRepositories: a stall
// outlives it.
const faultTimeout = 2 * time.Second

// loginPage is what a misconfigured proxy or an SSO front serves instead of
// the Git protocol: 200 and HTML.
const loginPage = "<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body><form action=\"/login\">Sign in</form></body></html>\n"

// TestFaults puts a fault-injecting proxy (https, the Secret trusting its
// CA, basic auth) in front of the Git server, lets a GitRepository and a
// Kustomization applying it get ready, commits again and injects each
// fault. The GitRepository must end Ready=False with a message that says
// what failed and never the password, keep the previous artifact recorded
// and served, and leave the Kustomization's objects alone; once the server
// is back it must recover by itself, with no spec change and no requested
// reconcile, to the new commit.
func TestFaults(t *testing.T) {
	env.StartManager(t, controller.Options{
		Controllers:        []string{"kustomization"},
		Concurrent:         4,
		DependencyRequeue:  time.Second,
		WatchLabelSelector: labels.SelectorFromSet(labels.Set{faultsReconciler: "true"}),
	})
	uploadPack := testserver.PathContains("/git-upload-pack", http.MethodPost)
	refs := testserver.PathContains("/info/refs", http.MethodGet)
	tests := map[string]struct {
		fault    testserver.Fault
		contains []string
		// stalls: the fault holds responses, which the controller must
		// abandon at spec.timeout.
		stalls bool
	}{
		"down": {
			fault:    testserver.Refused(),
			contains: []string{"unable to list references of 'https://127.0.0.1:", "connection refused"},
		},
		"connection reset": {
			fault:    testserver.ResetConnections(),
			contains: []string{"unable to list references of 'https://127.0.0.1:", "connection reset by peer"},
		},
		"slow ref listing": {
			fault:    testserver.Stalled(0).On(refs),
			contains: []string{"unable to list references of 'https://127.0.0.1:", ": timed out: ", "(spec.timeout is 2s)"},
			stalls:   true,
		},
		"slow pack": {
			fault:    testserver.Stalled(0).On(uploadPack),
			contains: []string{"unable to clone 'https://127.0.0.1:", ": timed out: ", "(spec.timeout is 2s)"},
			stalls:   true,
		},
		"pack stalls midway": {
			fault:    testserver.StalledAfter(64, 0).On(uploadPack),
			contains: []string{"unable to clone 'https://127.0.0.1:", ": timed out: ", "(spec.timeout is 2s)"},
			stalls:   true,
		},
		"truncated pack": {
			fault:    testserver.Truncated(64).On(uploadPack),
			contains: []string{"unable to clone 'https://127.0.0.1:", "unexpected EOF"},
		},
		"HTML login page": {
			fault:    testserver.Responding(http.StatusOK, "text/html; charset=utf-8", []byte(loginPage)).On(refs),
			contains: []string{"unable to list references of 'https://127.0.0.1:", "the server did not answer with the Git protocol"},
		},
		"untrusted certificate": {
			fault:    testserver.UntrustedCertificate(),
			contains: []string{"unable to list references of 'https://127.0.0.1:", "certificate signed by unknown authority"},
		},
		"plain HTTP behind https": {
			fault:    testserver.PlainHTTPBehindHTTPS(),
			contains: []string{"unable to list references of 'https://127.0.0.1:", "server gave HTTP response to HTTPS client"},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ns := newNamespace(t)
			git, repo, first := newGitServer(t, basicAuth(gitUser, gitPassword))
			proxy := testserver.StartFaultProxy(t, git.base, testserver.FaultProxyOptions{TLS: true})
			create(t, secret(ns, "creds", map[string]string{"username": gitUser, "password": gitPassword, "ca.crt": string(proxy.CA())}))
			gr := newGitRepository(ns, "app", proxy.URL+"/org/app", withSecret("creds"), func(gr *sourcev1.GitRepository) {
				gr.Spec.Interval = metav1.Duration{Duration: time.Minute}
				gr.Spec.Timeout = &metav1.Duration{Duration: faultTimeout}
			})
			create(t, gr)
			key := client.ObjectKeyFromObject(gr)
			create(t, faultsKustomization(ns))
			ksKey := client.ObjectKey{Namespace: ns, Name: "apps"}

			// Ready at the first commit, applied.
			gr = waitFor(t, key, "Ready", isReadyWith("main@sha1:"+first))
			previous := gr.Status.Artifact.DeepCopy()
			testenv.WaitFor(t, env.Client, ksKey, "applied", testenv.KustomizationReady("main@sha1:"+first))
			applied := configMap(t, ns)

			// A new commit, then the fault.
			second, err := repo.CommitFiles("version 2", map[string]string{
				"deploy/configmap.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  version: \"2\"\n",
			})
			if err != nil {
				t.Fatal(err)
			}
			injected, abandoned := proxy.Injected(), proxy.Abandoned()
			proxy.Set(tt.fault)
			requestReconcile(t, key)
			gr = waitFor(t, key, "failed", func(gr *sourcev1.GitRepository) bool {
				c, r := cond(gr, meta.ReadyCondition), cond(gr, meta.ReconcilingCondition)
				return c != nil && c.Status == metav1.ConditionFalse && r != nil && r.Reason == meta.ProgressingWithRetryReason
			})
			ready := cond(gr, meta.ReadyCondition)
			t.Logf("Ready=False %s: %s", ready.Reason, ready.Message)
			if ready.Reason != meta.GitOperationFailedReason {
				t.Errorf("reason %s, want %s", ready.Reason, meta.GitOperationFailedReason)
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
			if c := cond(gr, meta.StalledCondition); c != nil {
				t.Errorf("a server fault stalled the object: %+v", c)
			}

			// The previous artifact stays recorded and served, and what it
			// applied stays.
			if a := gr.Status.Artifact; a == nil || a.Revision != previous.Revision || a.Digest != previous.Digest {
				t.Fatalf("artifact %+v, want the previous %+v", a, previous)
			}
			if c := cond(gr, meta.ArtifactInStorageCondition); c == nil || c.Status != metav1.ConditionTrue {
				t.Errorf("ArtifactInStorage = %+v, want True", c)
			}
			testenv.FetchArtifact(t, gr.Status.Artifact)
			assertApplied(t, ns, applied)
			testenv.AssertNoSecret(t, env.Client, gr, gitPassword)
			if strings.Contains(env.Logs.String(), gitPassword) {
				t.Error("the controller logged the password")
			}

			// Back to normal: recovery by itself, to the new commit.
			generation := gr.Generation
			healed := time.Now()
			proxy.Set(testserver.PassThrough())
			gr = waitFor(t, key, "Ready again", isReadyWith("main@sha1:"+second))
			t.Logf("recovered in %s", time.Since(healed).Round(100*time.Millisecond))
			if gr.Generation != generation {
				t.Errorf("generation %d, was %d: the spec changed", gr.Generation, generation)
			}
			for _, gone := range []string{meta.FetchFailedCondition, meta.ArtifactOutdatedCondition} {
				if c := cond(gr, gone); c != nil {
					t.Errorf("%s still present after recovery: %+v", gone, c)
				}
			}
			testenv.FetchArtifact(t, gr.Status.Artifact)
			testenv.WaitFor(t, env.Client, ksKey, "applied again", testenv.KustomizationReady("main@sha1:"+second))
			if cm := configMap(t, ns); cm.UID != applied.UID || cm.Data["version"] != "2" {
				t.Errorf("ConfigMap after recovery: uid %s (was %s), data %v", cm.UID, applied.UID, cm.Data)
			}
			testenv.AssertNoSecret(t, env.Client, gr, gitPassword)
		})
	}
}

// faultsKustomization applies ./deploy of GitRepository app into ns, with
// pruning, reconciled by TestFaults' own controller.
func faultsKustomization(ns string) *kustomizev1.Kustomization {
	return &kustomizev1.Kustomization{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "apps", Labels: map[string]string{faultsReconciler: "true"}},
		Spec: kustomizev1.KustomizationSpec{
			Interval:        metav1.Duration{Duration: time.Hour},
			Path:            "./deploy",
			Prune:           true,
			TargetNamespace: ns,
			SourceRef:       kustomizev1.CrossNamespaceSourceReference{Kind: sourcev1.GitRepositoryKind, Name: "app"},
		},
	}
}

// configMap returns the ConfigMap the Kustomization applies.
func configMap(t *testing.T, ns string) *corev1.ConfigMap {
	t.Helper()
	cm := &corev1.ConfigMap{}
	if err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "app"}, cm); err != nil {
		t.Fatalf("the applied ConfigMap: %v", err)
	}
	return cm
}

// assertApplied checks that the Kustomization still has the ConfigMap it
// applied, unchanged, in its inventory and in the cluster.
func assertApplied(t *testing.T, ns string, applied *corev1.ConfigMap) {
	t.Helper()
	ks := &kustomizev1.Kustomization{}
	if err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "apps"}, ks); err != nil {
		t.Fatal(err)
	}
	id := ns + "_app__ConfigMap"
	if ks.Status.Inventory == nil || len(ks.Status.Inventory.Entries) != 1 || ks.Status.Inventory.Entries[0].ID != id {
		t.Errorf("inventory %+v, want only %s", ks.Status.Inventory, id)
	}
	if c := apimeta.FindStatusCondition(ks.Status.Conditions, meta.ReadyCondition); c != nil {
		t.Logf("Kustomization Ready=%s %s: %s", c.Status, c.Reason, c.Message)
	}
	cm := configMap(t, ns)
	if cm.UID != applied.UID || cm.DeletionTimestamp != nil || cm.Data["version"] != "" {
		t.Errorf("ConfigMap uid %s (was %s), deleting %v, data %v: want it as applied", cm.UID, applied.UID, cm.DeletionTimestamp, cm.Data)
	}
}
