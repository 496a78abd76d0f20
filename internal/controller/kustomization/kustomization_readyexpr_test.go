package kustomization_test

import (
	"context"
	"strings"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/client"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/internal/testenv"
)

// TestDependsOnReadyExpr replaces the built-in readiness check of a
// dependency with a CEL readyExpr over self (the dependent) and dep (the
// dependency): the dependent waits until the expression holds, although the
// dependency itself never becomes Ready (its path does not exist).
func TestDependsOnReadyExpr(t *testing.T) {
	f := newFixture(t, appFiles())
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
	ks := f.WaitFor("waiting for its dependency", testenv.KustomizationFailed("DependencyNotReady", ""))
	if msg := testenv.ReadyCondition(ks).Message; !strings.Contains(msg, f.NS+"/infra") || !strings.Contains(msg, "readyExpr") {
		t.Errorf("Ready message %q does not name the dependency and its readyExpr", msg)
	}
	if f.Get("apps/v1", "Deployment", "web") != nil {
		t.Fatal("the dependent was applied before its readyExpr held")
	}

	infra := &kustomizev1.Kustomization{}
	if err := env.Client.Get(context.Background(), testenv.Key(f.NS, "infra"), infra); err != nil {
		t.Fatal(err)
	}
	patch := client.MergeFrom(infra.DeepCopy())
	infra.Labels["stage"] = "done"
	if err := env.Client.Patch(context.Background(), infra, patch); err != nil {
		t.Fatal(err)
	}
	f.WaitFor("ready once the readyExpr holds", testenv.KustomizationReady(f.Head()))
	if f.Get("apps/v1", "Deployment", "web") == nil {
		t.Error("Deployment web was not applied")
	}
}
