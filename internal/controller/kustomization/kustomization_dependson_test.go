package kustomization_test

import (
	"strings"
	"testing"
	"time"

	"github.com/ferrycd/ferry/internal/controller"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/internal/testenv"
)

// dependsOnFiles is appFiles with a second path, infra, that a dependency
// builds from the same repository.
func dependsOnFiles() map[string]string {
	files := appFiles()
	files["infra/settings.yaml"] = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: infra-settings\n"
	return files
}

// TestDependsOn is Flux's dependsOn, YAML unchanged (a name, no kind): the
// dependent waits with DependencyNotReady and Flux's message naming the
// missing dependency "<namespace>/<name>", and starts as soon as the
// dependency is Ready, although its reconciler retries dependencies only
// every hour: the dependency's readiness enqueues it.
func TestDependsOn(t *testing.T) {
	f := newFixture(t, dependsOnFiles())
	startReconciler(f, "dependson", func(o *controller.Options) { o.DependencyRequeue = time.Hour })
	f.ApplyYAML(`apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: app
  namespace: {{ns}}
spec:
  interval: 1h
  url: {{url}}
  ref:
    branch: main
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: app
  namespace: {{ns}}
  labels:
    test.ferry.dev/reconciler: dependson
spec:
  interval: 1h
  retryInterval: 1h
  path: apps/staging
  prune: true
  targetNamespace: {{ns}}
  sourceRef:
    kind: GitRepository
    name: app
  dependsOn:
    - name: infra`)
	ks := f.WaitFor("waiting for its dependency", testenv.KustomizationFailed("DependencyNotReady", ""))
	if msg, want := testenv.ReadyCondition(ks).Message, "dependency '"+f.NS+"/infra' not found"; msg != want {
		t.Errorf("Ready message = %q, want %q", msg, want)
	}
	if f.Get("apps/v1", "Deployment", "web") != nil {
		t.Fatal("the dependent was applied before its dependency existed")
	}

	f.ApplyYAML(`apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: infra
  namespace: {{ns}}
  labels:
    test.ferry.dev/reconciler: dependson
spec:
  interval: 1h
  path: infra
  prune: true
  targetNamespace: {{ns}}
  sourceRef:
    kind: GitRepository
    name: app`)
	f.WaitForKS(f.NS, "infra", "ready", testenv.KustomizationReady(f.Head()))
	f.WaitFor("ready once its dependency is", testenv.KustomizationReady(f.Head()))
	if f.Get("apps/v1", "Deployment", "web") == nil {
		t.Error("Deployment web was not applied")
	}
	for _, e := range f.Events() {
		if e.Reason == "DependencyNotReady" && !strings.HasPrefix(e.Message, "dependencies do not meet ready condition (dependency '"+f.NS+"/infra' not found), retrying in 1h0m0s") {
			t.Errorf("DependencyNotReady event = %q", e.Message)
		}
	}
	if ks := f.kustomization(); ks.Spec.DependsOn[0] != (kustomizev1.DependencyReference{Name: "infra"}) {
		t.Errorf("dependsOn read back as %+v", ks.Spec.DependsOn[0])
	}
}
