package kustomization_test

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
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
	f.waitFor("ready", ready(f.head()))

	ctx := context.Background()
	for _, name := range []string{"merged", "plain"} {
		cm := &corev1.ConfigMap{}
		if err := k8sClient.Get(ctx, keyOf(f.ns, name), cm); err != nil {
			t.Fatal(err)
		}
		cm.Data["kubectl"] = "added"
		if err := k8sClient.Update(ctx, cm, client.FieldOwner("kubectl")); err != nil {
			t.Fatal(err)
		}
	}

	token := f.requestReconcile(&kustomizev1.Kustomization{}, "app")
	f.waitFor("reconciled on request", func(ks *kustomizev1.Kustomization) bool {
		return ks.Status.LastHandledReconcileAt == token && ready(f.head())(ks)
	})
	if got := nested(f.get("v1", "ConfigMap", "merged"), "data", "kubectl"); got != "added" {
		t.Errorf("ConfigMap merged (ssa: Merge) has data.kubectl=%s, want the field kubectl added kept", got)
	}
	if got := nested(f.get("v1", "ConfigMap", "plain"), "data", "kubectl"); got != "<unset>" {
		t.Errorf("ConfigMap plain has data.kubectl=%s, want the field kubectl added removed", got)
	}
	if got := nested(f.get("v1", "ConfigMap", "plain"), "data", "git"); got != "1" {
		t.Errorf("ConfigMap plain has data.git=%s, want 1", got)
	}
}
