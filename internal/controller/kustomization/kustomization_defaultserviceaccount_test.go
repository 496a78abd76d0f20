package kustomization_test

import (
	"context"
	"strings"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferrycd/ferry/internal/controller/kustomization"
)

// TestDefaultServiceAccount checks --default-service-account: a
// Kustomization without spec.serviceAccountName applies with the rights of
// the default ServiceAccount of its namespace, and spec.serviceAccountName
// overrides it.
func TestDefaultServiceAccount(t *testing.T) {
	f := newFixture(t, appFiles())
	startReconciler(f, "default-sa", func(r *kustomization.Reconciler) { r.DefaultServiceAccount = "restricted" })
	f.createTenant("restricted") // ConfigMaps only
	f.createTenant("deployer")
	f.allowDeployments("deployer")
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

	ks := f.waitFor("ReconciliationFailed", failed("ReconciliationFailed", f.head()))
	msg := readyCondition(ks).Message
	for _, want := range []string{"Deployment/" + f.ns + "/web", "system:serviceaccount:" + f.ns + ":restricted", "as ServiceAccount " + f.ns + "/restricted"} {
		if !strings.Contains(msg, want) {
			t.Errorf("Ready message %q does not contain %q", msg, want)
		}
	}

	// spec.serviceAccountName takes precedence over the default.
	patch := client.MergeFrom(ks.DeepCopy())
	ks.Spec.ServiceAccountName = "deployer"
	if err := k8sClient.Patch(context.Background(), ks, patch); err != nil {
		t.Fatal(err)
	}
	f.waitFor("ready", ready(f.head()))
	if f.get("apps/v1", "Deployment", "web") == nil {
		t.Error("the Deployment was not applied as the ServiceAccount of spec.serviceAccountName")
	}
}
