package kustomization_test

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/internal/testenv"
)

// TestSSAMerge edits two applied ConfigMaps with kubectl's field manager:
// the field kubectl added is removed from the plain one (its fields are taken
// over, as kustomize-controller does) and kept on the one annotated
// kustomize.toolkit.fluxcd.io/ssa: Merge.
func TestSSAMerge(t *testing.T) {
	f := newFixture(t, map[string]string{
		"app/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - objects.yaml\n",
		"app/objects.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: merged
  annotations:
    kustomize.toolkit.fluxcd.io/ssa: Merge
data:
  git: "1"
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: plain
data:
  git: "1"
`,
	})
	f.sync("app", true)
	f.WaitFor("ready", testenv.KustomizationReady(f.Head()))

	ctx := context.Background()
	for _, name := range []string{"merged", "plain"} {
		cm := &corev1.ConfigMap{}
		if err := env.Client.Get(ctx, testenv.Key(f.NS, name), cm); err != nil {
			t.Fatal(err)
		}
		cm.Data["kubectl"] = "added"
		if err := env.Client.Update(ctx, cm, client.FieldOwner("kubectl")); err != nil {
			t.Fatal(err)
		}
	}

	token := f.RequestReconcile(&kustomizev1.Kustomization{}, "app")
	f.WaitFor("reconciled on request", func(ks *kustomizev1.Kustomization) bool {
		return ks.Status.LastHandledReconcileAt == token && testenv.KustomizationReady(f.Head())(ks)
	})
	if got := testenv.Nested(f.Get("v1", "ConfigMap", "merged"), "data", "kubectl"); got != "added" {
		t.Errorf("ConfigMap merged (ssa: Merge) has data.kubectl=%s, want the field kubectl added kept", got)
	}
	if got := testenv.Nested(f.Get("v1", "ConfigMap", "plain"), "data", "kubectl"); got != "<unset>" {
		t.Errorf("ConfigMap plain has data.kubectl=%s, want the field kubectl added removed", got)
	}
	if got := testenv.Nested(f.Get("v1", "ConfigMap", "plain"), "data", "git"); got != "1" {
		t.Errorf("ConfigMap plain has data.git=%s, want 1", got)
	}
}
