package kustomization_test

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/testenv"
)

// annotatedFiles is a repository whose objects carry the per-object
// annotations of kustomize-controller; data value v varies by commit, and
// selector is the (immutable) selector of the forced Deployment.
func annotatedFiles(v, selector string) map[string]string {
	return map[string]string{
		"app/kustomization.yaml": `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - objects.yaml
`,
		"app/objects.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: ignored
  annotations:
    kustomize.toolkit.fluxcd.io/ssa: Ignore
data:
  v: "` + v + `"
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: once
  annotations:
    kustomize.toolkit.fluxcd.io/ssa: IfNotPresent
data:
  v: "` + v + `"
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: not-reconciled
  annotations:
    kustomize.toolkit.fluxcd.io/reconcile: disabled
data:
  v: "` + v + `"
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: hands-off
data:
  v: "` + v + `"
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: normal
data:
  v: "` + v + `"
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: forced
  annotations:
    kustomize.toolkit.fluxcd.io/force: enabled
spec:
  replicas: 0
  selector:
    matchLabels:
      app: ` + selector + `
  template:
    metadata:
      labels:
        app: ` + selector + `
    spec:
      containers:
        - name: main
          image: registry.k8s.io/pause:3.10
`,
	}
}

// TestObjectAnnotations checks the per-object annotations of
// kustomize-controller: ssa: Ignore objects are never applied, ssa:
// IfNotPresent ones only created, reconcile: disabled ones (in Git or on the
// live object) left alone, and force: enabled ones recreated when an
// immutable field changes.
func TestObjectAnnotations(t *testing.T) {
	f := newFixture(t, annotatedFiles("1", "a"))
	ctx := context.Background()
	// Someone manages hands-off by hand and turned ferry off for it.
	handsOff := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "hands-off", Namespace: f.NS,
			Annotations: map[string]string{"kustomize.toolkit.fluxcd.io/reconcile": "disabled"}},
		Data: map[string]string{"v": "by hand"},
	}
	if err := env.Client.Create(ctx, handsOff); err != nil {
		t.Fatal(err)
	}
	f.sync("app", true)
	f.WaitFor("ready", testenv.KustomizationReady(f.Head()))

	if f.Get("v1", "ConfigMap", "ignored") != nil {
		t.Error("ConfigMap ignored (ssa: Ignore) was applied")
	}
	if f.Get("v1", "ConfigMap", "not-reconciled") != nil {
		t.Error("ConfigMap not-reconciled (reconcile: disabled) was applied")
	}
	if got := testenv.Nested(f.Get("v1", "ConfigMap", "once"), "data", "v"); got != "1" {
		t.Errorf("ConfigMap once (ssa: IfNotPresent) has v=%s, want it created with 1", got)
	}
	if got := testenv.Nested(f.Get("v1", "ConfigMap", "hands-off"), "data", "v"); got != "by hand" {
		t.Errorf("ConfigMap hands-off (reconcile: disabled in the cluster) has v=%s, want it untouched", got)
	}
	forced := f.Get("apps/v1", "Deployment", "forced")
	if forced == nil {
		t.Fatal("Deployment forced was not applied")
	}

	// Change every value and the immutable selector in Git.
	rev := f.Commit("v2", annotatedFiles("2", "b"))
	f.RequestReconcile(&sourcev1.GitRepository{}, "app")
	f.WaitFor("ready at the new revision", testenv.KustomizationReady(rev))

	if got := testenv.Nested(f.Get("v1", "ConfigMap", "normal"), "data", "v"); got != "2" {
		t.Errorf("ConfigMap normal has v=%s, want 2", got)
	}
	if got := testenv.Nested(f.Get("v1", "ConfigMap", "once"), "data", "v"); got != "1" {
		t.Errorf("ConfigMap once (ssa: IfNotPresent) has v=%s, want it left at 1", got)
	}
	if got := testenv.Nested(f.Get("v1", "ConfigMap", "hands-off"), "data", "v"); got != "by hand" {
		t.Errorf("ConfigMap hands-off (reconcile: disabled) has v=%s, want it untouched", got)
	}
	if f.Get("v1", "ConfigMap", "ignored") != nil {
		t.Error("ConfigMap ignored (ssa: Ignore) was applied")
	}
	recreated := f.Get("apps/v1", "Deployment", "forced")
	if recreated == nil || recreated.GetUID() == forced.GetUID() {
		t.Errorf("Deployment forced (force: enabled) was not recreated for its new selector")
	} else if got := testenv.Nested(recreated, "spec", "selector", "matchLabels", "app"); got != "b" {
		t.Errorf("Deployment forced has selector app=%s, want b", got)
	}
}
