package kustomization_test

import (
	"context"
	"strings"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferrycd/ferry/internal/controller"

	"github.com/ferrycd/ferry/internal/testenv"
)

// TestDefaultServiceAccount checks --default-service-account: a
// Kustomization without spec.serviceAccountName applies with the rights of
// the default ServiceAccount of its namespace, and spec.serviceAccountName
// overrides it.
func TestDefaultServiceAccount(t *testing.T) {
	f := newFixture(t, appFiles())
	startReconciler(f, "default-sa", func(o *controller.Options) { o.DefaultServiceAccount = "restricted" })
	f.createTenant("restricted") // ConfigMaps only
	f.createTenant("deployer")
	f.allowDeployments("deployer")
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
    test.ferry.dev/reconciler: default-sa
spec:
  interval: 1h
  retryInterval: 1h
  path: apps/staging
  prune: true
  targetNamespace: {{ns}}
  sourceRef:
    kind: GitRepository
    name: app`)

	ks := f.WaitFor("ReconciliationFailed", testenv.KustomizationFailed("ReconciliationFailed", f.Head()))
	msg := testenv.ReadyCondition(ks).Message
	for _, want := range []string{"Deployment/" + f.NS + "/web", "system:serviceaccount:" + f.NS + ":restricted", "as ServiceAccount " + f.NS + "/restricted"} {
		if !strings.Contains(msg, want) {
			t.Errorf("Ready message %q does not contain %q", msg, want)
		}
	}

	// spec.serviceAccountName takes precedence over the default.
	patch := client.MergeFrom(ks.DeepCopy())
	ks.Spec.ServiceAccountName = "deployer"
	if err := env.Client.Patch(context.Background(), ks, patch); err != nil {
		t.Fatal(err)
	}
	f.WaitFor("ready", testenv.KustomizationReady(f.Head()))
	if f.Get("apps/v1", "Deployment", "web") == nil {
		t.Error("the Deployment was not applied as the ServiceAccount of spec.serviceAccountName")
	}
}
