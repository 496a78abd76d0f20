package kustomization_test

import (
	"context"
	"strings"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/client"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
)

// TestDependsOnReadyExpr replaces the built-in readiness check of a
// dependency with a CEL readyExpr over self (the dependent) and dep (the
// dependency): the dependent waits until the expression holds, although the
// dependency itself never becomes Ready (its path does not exist).
func TestDependsOnReadyExpr(t *testing.T) {
	f := newFixture(t, appFiles())
	f.applyYAML(`apiVersion: source.toolkit.fluxcd.io/v1
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
  name: infra
  namespace: {{ns}}
  labels:
    stage: building
spec:
  interval: 1h
  path: ./does-not-exist
  prune: true
  sourceRef:
    kind: GitRepository
    name: app
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: app
  namespace: {{ns}}
  labels:
    stage: done
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
    - name: infra
      readyExpr: dep.metadata.labels.stage == self.metadata.labels.stage`)
	ks := f.waitFor("waiting for its dependency", failed("DependencyNotReady", ""))
	if msg := readyCondition(ks).Message; !strings.Contains(msg, f.ns+"/infra") || !strings.Contains(msg, "readyExpr") {
		t.Errorf("Ready message %q does not name the dependency and its readyExpr", msg)
	}
	if f.get("apps/v1", "Deployment", "web") != nil {
		t.Fatal("the dependent was applied before its readyExpr held")
	}

	infra := &kustomizev1.Kustomization{}
	if err := k8sClient.Get(context.Background(), keyOf(f.ns, "infra"), infra); err != nil {
		t.Fatal(err)
	}
	patch := client.MergeFrom(infra.DeepCopy())
	infra.Labels["stage"] = "done"
	if err := k8sClient.Patch(context.Background(), infra, patch); err != nil {
		t.Fatal(err)
	}
	f.waitFor("ready once the readyExpr holds", ready(f.head()))
	if f.get("apps/v1", "Deployment", "web") == nil {
		t.Error("Deployment web was not applied")
	}
}
