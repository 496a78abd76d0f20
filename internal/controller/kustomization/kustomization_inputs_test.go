package kustomization_test

import (
	"context"
	"fmt"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/testenv"
)

// TestNewRevisionCostsWhatChanged runs the three overlays of one base from
// one repository. A commit that touches no file any of them reads is
// recorded by each without a build or an apply (a ConfigMap edited by hand
// stays edited: drift is corrected on the interval, not by another
// revision of unchanged input); a commit to the shared base reaches all
// three, and applies in full (the edit is reverted too).
func TestNewRevisionCostsWhatChanged(t *testing.T) {
	files := appFiles()
	files["docs/README.md"] = "# the apps\n"
	f := newFixture(t, files)
	envs := []string{"production", "staging", "development"}
	stream := sourceYAML
	for _, e := range envs {
		stream += fmt.Sprintf(`
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: %[1]s
  namespace: {{ns}}
spec:
  interval: 1h
  retryInterval: 1h
  path: apps/%[1]s
  prune: true
  namePrefix: %[1]s-
  targetNamespace: {{ns}}
  sourceRef:
    kind: GitRepository
    name: app`, e)
	}
	f.ApplyYAML(stream)
	allReady := func(revision string) {
		t.Helper()
		for _, e := range envs {
			f.WaitForKS(f.NS, e, "ready at "+revision, testenv.KustomizationReady(revision))
		}
	}
	allReady(f.Head())

	settings := func(e string) map[string]any {
		t.Helper()
		cm := f.Get("v1", "ConfigMap", e+"-web-settings")
		if cm == nil {
			t.Fatalf("ConfigMap %s-web-settings not found", e)
		}
		data, _, _ := unstructured.NestedMap(cm.Object, "data")
		return data
	}
	drift := func() {
		t.Helper()
		cm := &unstructured.Unstructured{}
		cm.SetAPIVersion("v1")
		cm.SetKind("ConfigMap")
		cm.SetNamespace(f.NS)
		cm.SetName("production-web-settings")
		patch := client.RawPatch(types.MergePatchType, []byte(`{"data":{"LOG_LEVEL":"by-hand"}}`))
		if err := env.Client.Patch(context.Background(), cm, patch); err != nil {
			t.Fatal(err)
		}
	}
	fetch := func() {
		t.Helper()
		f.RequestReconcile(&sourcev1.GitRepository{}, "app")
	}

	// A commit outside every build's reads: recorded, not applied.
	drift()
	unrelated := f.Commit("docs", map[string]string{"docs/README.md": "# the apps, documented\n"})
	fetch()
	allReady(unrelated)
	if got := settings("production")["LOG_LEVEL"]; got != "by-hand" {
		t.Errorf("an unrelated commit re-applied the production ConfigMap: LOG_LEVEL = %v, want the hand edit kept until the interval", got)
	}

	// A commit to the shared base: every overlay builds and applies it.
	base := f.Commit("base", map[string]string{"apps/base/configmap.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: web-settings
data:
  LOG_LEVEL: info
  FEATURE: "on"
`})
	fetch()
	allReady(base)
	for _, e := range envs {
		data := settings(e)
		if data["FEATURE"] != "on" {
			t.Errorf("%s: the base's change did not reach the overlay: data = %v", e, data)
		}
	}
	if got := settings("production")["LOG_LEVEL"]; got != "warn" {
		t.Errorf("production: LOG_LEVEL = %v after a full apply, want the overlay's warn", got)
	}

	// A reconcile request always builds and applies: the drift is corrected.
	drift()
	token := f.RequestReconcile(&kustomizev1.Kustomization{}, "production")
	f.WaitForKS(f.NS, "production", "reconciled on request", func(ks *kustomizev1.Kustomization) bool {
		return ks.Status.LastHandledReconcileAt == token && testenv.KustomizationReady(base)(ks)
	})
	if got := settings("production")["LOG_LEVEL"]; got != "warn" {
		t.Errorf("production: LOG_LEVEL = %v after a reconcile request, want the drift corrected", got)
	}
}
