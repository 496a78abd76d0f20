package kustomization_test

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/testenv"
)

// TestPruneIgnoresSpoofedOwnerLabels creates objects that carry the owner
// labels of a Kustomization (kustomize.toolkit.fluxcd.io/name and
// /namespace) without being in its inventory: in its target namespace, in
// another namespace, one named like an object the Kustomization prunes but
// of another kind, and one cluster-scoped. A prune of a new revision and
// the deletion of the Kustomization (prune: true) delete what it applied,
// and none of them: ferry deletes by inventory, never by label.
func TestPruneIgnoresSpoofedOwnerLabels(t *testing.T) {
	files := appFiles()
	files["apps/base/kustomization.yaml"] += "  - extra.yaml\n"
	files["apps/base/extra.yaml"] = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n"
	f := newFixture(t, files)
	other := env.NewNamespace(t, "spoof")
	f.sync("apps/staging", true)
	f.WaitFor("ready", testenv.KustomizationReady(f.Head()))

	ctx := context.Background()
	owner := map[string]string{"kustomize.toolkit.fluxcd.io/name": "app", "kustomize.toolkit.fluxcd.io/namespace": f.NS}
	spoofed := []client.Object{
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "spoofed", Namespace: f.NS, Labels: owner}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "spoofed", Namespace: f.NS, Labels: owner}},
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "spoofed", Namespace: other, Labels: owner}},
		// Named like the ConfigMap the next revision prunes, but a Secret.
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "extra", Namespace: f.NS, Labels: owner}},
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "spoofed-", Labels: owner}},
	}
	for _, obj := range spoofed {
		if err := env.Client.Create(ctx, obj); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { _ = env.Client.Delete(context.Background(), spoofed[len(spoofed)-1]) })
	survivors := func(when string) {
		t.Helper()
		for _, obj := range spoofed {
			live := obj.DeepCopyObject().(client.Object)
			err := env.Client.Get(ctx, client.ObjectKeyFromObject(obj), live)
			if err != nil || live.GetDeletionTimestamp() != nil {
				t.Errorf("%s: %T %s/%s with spoofed owner labels was deleted (%v)", when, obj, obj.GetNamespace(), obj.GetName(), err)
			}
		}
	}

	// A new revision drops extra.yaml: only the ConfigMap extra is pruned.
	rev := f.Commit("drop extra", map[string]string{"apps/base/kustomization.yaml": appFiles()["apps/base/kustomization.yaml"]}, "apps/base/extra.yaml")
	f.RequestReconcile(&sourcev1.GitRepository{}, "app")
	ks := f.WaitFor("ready at the new revision", testenv.KustomizationReady(rev))
	f.Eventually("ConfigMap extra pruned", func() string {
		if f.Get("v1", "ConfigMap", "extra") != nil {
			return "ConfigMap extra still exists"
		}
		return ""
	})
	survivors("after the prune")
	if n := len(ks.Status.Inventory.Entries); n != 2 {
		t.Errorf("inventory has %d entries, want the Deployment and the ConfigMap it applied: %+v", n, ks.Status.Inventory.Entries)
	}

	// Deleting the Kustomization deletes what it applied, and only that.
	if err := env.Client.Delete(ctx, f.kustomization()); err != nil {
		t.Fatal(err)
	}
	f.Eventually("the Kustomization gone", func() string {
		if err := env.Client.Get(ctx, testenv.Key(f.NS, "app"), &kustomizev1.Kustomization{}); err == nil {
			return "still there"
		}
		return ""
	})
	if f.Get("apps/v1", "Deployment", "web") != nil || f.Get("v1", "ConfigMap", "web-settings") != nil {
		t.Error("the objects of the deleted Kustomization were not deleted")
	}
	survivors("after the deletion")
}
