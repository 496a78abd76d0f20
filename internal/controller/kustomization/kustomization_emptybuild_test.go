package kustomization_test

import (
	"context"
	"strings"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/client"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/controller/kustomization"
	"github.com/ferrycd/ferry/internal/testenv"
)

// TestEmptyBuildRefused empties the built path in Git: ferry refuses to
// apply a build with no objects while the inventory holds some (Flux would
// prune everything), keeps every object, and says how to opt in. With the
// opt-in annotation, the empty build is applied and the objects pruned.
func TestEmptyBuildRefused(t *testing.T) {
	f := newFixture(t, appFiles())
	f.sync("apps/staging", true)
	applied := f.WaitFor("ready", testenv.KustomizationReady(f.Head()))
	entries := len(applied.Status.Inventory.Entries)

	rev := f.Commit("empty the overlay", map[string]string{
		"apps/staging/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: []\n",
	})
	f.RequestReconcile(&sourcev1.GitRepository{}, "app")
	ks := f.WaitFor("refusing the empty build", testenv.KustomizationFailed("BuildFailed", rev))
	msg := testenv.ReadyCondition(ks).Message
	for _, want := range []string{"produced no objects", "nothing was applied or pruned", kustomization.AllowEmptyAnnotation} {
		if !strings.Contains(msg, want) {
			t.Errorf("Ready message %q does not contain %q", msg, want)
		}
	}
	if f.Get("apps/v1", "Deployment", "web") == nil || f.Get("v1", "ConfigMap", "web-settings") == nil {
		t.Fatal("objects were deleted by an empty build")
	}
	if n := len(ks.Status.Inventory.Entries); n != entries {
		t.Errorf("inventory has %d entries after the refused build, want %d", n, entries)
	}

	// Opt in: the empty build is applied, and prune deletes everything.
	ctx := context.Background()
	obj := f.kustomization()
	patch := client.MergeFrom(obj.DeepCopy())
	obj.Annotations = map[string]string{kustomization.AllowEmptyAnnotation: "true"}
	if err := env.Client.Patch(ctx, obj, patch); err != nil {
		t.Fatal(err)
	}
	f.RequestReconcile(&kustomizev1.Kustomization{}, "app")
	ks = f.WaitFor("ready with the empty build", testenv.KustomizationReady(rev))
	if n := len(ks.Status.Inventory.Entries); n != 0 {
		t.Errorf("inventory has %d entries after the empty build, want 0", n)
	}
	f.Eventually("objects pruned", func() string {
		if f.Get("apps/v1", "Deployment", "web") != nil {
			return "Deployment web still exists"
		}
		return ""
	})
}
