package kustomization_test

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/testenv"
)

// TestPrune deletes manifests in Git and checks that what this Kustomization
// applied is pruned, while objects it does not own are never touched.
func TestPrune(t *testing.T) {
	files := appFiles()
	files["apps/base/kustomization.yaml"] += "  - extra.yaml\n"
	files["apps/base/extra.yaml"] = `apiVersion: v1
kind: ConfigMap
metadata:
  name: removed-in-git
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: keep-me
  annotations:
    kustomize.toolkit.fluxcd.io/prune: disabled
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: taken-over
`
	f := newFixture(t, files)
	f.sync("apps/staging", true)
	f.WaitFor("ready", testenv.KustomizationReady(f.Head()))
	for _, name := range []string{"removed-in-git", "keep-me", "taken-over"} {
		if f.Get("v1", "ConfigMap", name) == nil {
			t.Fatalf("ConfigMap %s was not applied", name)
		}
	}

	// Someone else creates an object of their own, and takes one over by
	// dropping the owner labels.
	ctx := context.Background()
	other := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "not-ours", Namespace: f.NS}}
	if err := env.Client.Create(ctx, other); err != nil {
		t.Fatal(err)
	}
	taken := &corev1.ConfigMap{}
	if err := env.Client.Get(ctx, testenv.Key(f.NS, "taken-over"), taken); err != nil {
		t.Fatal(err)
	}
	taken.Labels = map[string]string{"team": "other"}
	if err := env.Client.Update(ctx, taken); err != nil {
		t.Fatal(err)
	}

	// Remove every extra manifest in Git and ask the source to fetch it.
	rev := f.Commit("drop the extras", map[string]string{"apps/base/kustomization.yaml": appFiles()["apps/base/kustomization.yaml"]}, "apps/base/extra.yaml")
	f.RequestReconcile(&sourcev1.GitRepository{}, "app")
	ks := f.WaitFor("ready at the new revision", testenv.KustomizationReady(rev))

	f.Eventually("the removed manifest pruned", func() string {
		if f.Get("v1", "ConfigMap", "removed-in-git") != nil {
			return "ConfigMap removed-in-git still exists"
		}
		return ""
	})
	for _, name := range []string{"keep-me", "taken-over", "not-ours", "web-settings"} {
		if f.Get("v1", "ConfigMap", name) == nil {
			t.Errorf("ConfigMap %s was deleted; only objects this Kustomization owns may be pruned", name)
		}
	}
	if n := len(ks.Status.Inventory.Entries); n != 2 {
		t.Errorf("inventory has %d entries after the prune, want 2: %+v", n, ks.Status.Inventory.Entries)
	}

	// Deleting the Kustomization (prune: true) deletes what it applied, and nothing else.
	if err := env.Client.Delete(ctx, f.kustomization()); err != nil {
		t.Fatal(err)
	}
	f.Eventually("the Kustomization gone", func() string {
		ks := &kustomizev1.Kustomization{}
		if err := env.Client.Get(ctx, testenv.Key(f.NS, "app"), ks); err == nil {
			return "still there, finalizers " + testenv.Dump(ks.Finalizers)
		}
		return ""
	})
	if f.Get("apps/v1", "Deployment", "web") != nil || f.Get("v1", "ConfigMap", "web-settings") != nil {
		t.Error("objects of the deleted Kustomization were not deleted")
	}
	for _, name := range []string{"keep-me", "taken-over", "not-ours"} {
		if f.Get("v1", "ConfigMap", name) == nil {
			t.Errorf("ConfigMap %s was deleted with the Kustomization", name)
		}
	}
}

// TestNoPrune checks that without prune, removed manifests stay, and that
// deleting the Kustomization leaves its objects in place.
func TestNoPrune(t *testing.T) {
	files := appFiles()
	files["apps/base/kustomization.yaml"] += "  - extra.yaml\n"
	files["apps/base/extra.yaml"] = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n"
	f := newFixture(t, files)
	f.sync("apps/staging", false)
	f.WaitFor("ready", testenv.KustomizationReady(f.Head()))

	rev := f.Commit("drop extra", map[string]string{"apps/base/kustomization.yaml": appFiles()["apps/base/kustomization.yaml"]}, "apps/base/extra.yaml")
	f.RequestReconcile(&sourcev1.GitRepository{}, "app")
	f.WaitFor("ready at the new revision", testenv.KustomizationReady(rev))
	if f.Get("v1", "ConfigMap", "extra") == nil {
		t.Error("ConfigMap extra was pruned with prune: false")
	}

	ctx := context.Background()
	if err := env.Client.Delete(ctx, f.kustomization()); err != nil {
		t.Fatal(err)
	}
	f.Eventually("the Kustomization gone", func() string {
		if err := env.Client.Get(ctx, testenv.Key(f.NS, "app"), &kustomizev1.Kustomization{}); err == nil {
			return "still there"
		}
		return ""
	})
	if f.Get("apps/v1", "Deployment", "web") == nil {
		t.Error("Deployment web was deleted with a prune: false Kustomization")
	}
}
