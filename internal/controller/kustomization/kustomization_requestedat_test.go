package kustomization_test

import (
	"context"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/client"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/testenv"
)

// TestRequestedAt checks that reconcile.fluxcd.io/requestedAt is echoed in
// status.lastHandledReconcileAt, as `flux reconcile` waits for.
func TestRequestedAt(t *testing.T) {
	f := newFixture(t, appFiles())
	f.sync("apps/staging", true)
	f.WaitFor("ready", testenv.KustomizationReady(f.Head()))
	for range 2 {
		token := f.RequestReconcile(&kustomizev1.Kustomization{}, "app")
		ks := f.WaitFor("handled "+token, func(ks *kustomizev1.Kustomization) bool {
			return ks.Status.LastHandledReconcileAt == token
		})
		if !testenv.KustomizationReady(f.Head())(ks) {
			t.Errorf("not ready after the request: %s", testenv.Dump(ks.Status))
		}
	}
}

// TestSuspend checks a suspended Kustomization applies nothing new, and
// catches up once resumed.
func TestSuspend(t *testing.T) {
	f := newFixture(t, appFiles())
	f.sync("apps/staging", true)
	first := f.Head()
	f.WaitFor("ready", testenv.KustomizationReady(first))

	ctx := context.Background()
	setSuspend := func(v bool) {
		ks := f.kustomization()
		patch := client.MergeFrom(ks.DeepCopy())
		ks.Spec.Suspend = v
		if err := env.Client.Patch(ctx, ks, patch); err != nil {
			t.Fatal(err)
		}
	}
	setSuspend(true)
	overlay := appFiles()["apps/staging/kustomization.yaml"]
	rev := f.Commit("scale", map[string]string{"apps/staging/kustomization.yaml": replace(overlay, "value: 2", "value: 4")})
	f.RequestReconcile(&sourcev1.GitRepository{}, "app")
	// The source has the new revision: a Kustomization that ignored
	// suspend would now apply it (its watch on the source fires, and so
	// does the request below).
	testenv.WaitFor(t, env.Client, testenv.Key(f.NS, "app"), "the GitRepository at "+rev, func(gr *sourcev1.GitRepository) bool {
		return gr.Status.Artifact.HasRevision(rev)
	})
	token := f.RequestReconcile(&kustomizev1.Kustomization{}, "app")
	ks := f.WaitFor("handled "+token, func(ks *kustomizev1.Kustomization) bool {
		return ks.Status.LastHandledReconcileAt == token
	})
	if ks.Status.LastAppliedRevision != first {
		t.Errorf("a suspended Kustomization applied %s", ks.Status.LastAppliedRevision)
	}
	if r := testenv.Nested(f.Get("apps/v1", "Deployment", "web"), "spec", "replicas"); r != "2" {
		t.Errorf("replicas = %s while suspended, want 2", r)
	}

	setSuspend(false)
	f.WaitFor("ready at the new revision", testenv.KustomizationReady(rev))
	if r := testenv.Nested(f.Get("apps/v1", "Deployment", "web"), "spec", "replicas"); r != "4" {
		t.Errorf("replicas = %s after resuming, want 4", r)
	}
}
