package kustomization_test

import (
	"context"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/client"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
)

// TestRequestedAt checks that reconcile.fluxcd.io/requestedAt is echoed in
// status.lastHandledReconcileAt, as `flux reconcile` waits for.
func TestRequestedAt(t *testing.T) {
	f := newFixture(t, appFiles())
	f.sync("apps/staging", true)
	f.waitFor("ready", ready(f.head()))
	for range 2 {
		token := f.requestReconcile(&kustomizev1.Kustomization{}, "app")
		ks := f.waitFor("handled "+token, func(ks *kustomizev1.Kustomization) bool {
			return ks.Status.LastHandledReconcileAt == token
		})
		if !ready(f.head())(ks) {
			t.Errorf("not ready after the request: %s", dump(ks.Status))
		}
	}
}

// TestSuspend checks a suspended Kustomization applies nothing new, and
// catches up once resumed.
func TestSuspend(t *testing.T) {
	f := newFixture(t, appFiles())
	f.sync("apps/staging", true)
	first := f.head()
	f.waitFor("ready", ready(first))

	ctx := context.Background()
	setSuspend := func(v bool) {
		ks := f.kustomization()
		patch := client.MergeFrom(ks.DeepCopy())
		ks.Spec.Suspend = v
		if err := k8sClient.Patch(ctx, ks, patch); err != nil {
			t.Fatal(err)
		}
	}
	setSuspend(true)
	overlay := appFiles()["apps/staging/kustomization.yaml"]
	rev := f.commit("scale", map[string]string{"apps/staging/kustomization.yaml": replace(overlay, "value: 2", "value: 4")})
	f.requestReconcile(&sourcev1.GitRepository{}, "app")
	token := f.requestReconcile(&kustomizev1.Kustomization{}, "app")
	ks := f.waitFor("handled "+token, func(ks *kustomizev1.Kustomization) bool {
		return ks.Status.LastHandledReconcileAt == token
	})
	if ks.Status.LastAppliedRevision != first {
		t.Errorf("a suspended Kustomization applied %s", ks.Status.LastAppliedRevision)
	}
	if r := nested(f.get("apps/v1", "Deployment", "web"), "spec", "replicas"); r != "2" {
		t.Errorf("replicas = %s while suspended, want 2", r)
	}

	setSuspend(false)
	f.waitFor("ready at the new revision", ready(rev))
	if r := nested(f.get("apps/v1", "Deployment", "web"), "spec", "replicas"); r != "4" {
		t.Errorf("replicas = %s after resuming, want 4", r)
	}
}
