package kustomization_test

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
)

// TestServiceAccountGoneAtDeletion checks that a Kustomization whose
// ServiceAccount no longer exists (as when its namespace is being deleted)
// is still deleted: as in Flux, its objects are left in place with a Warning
// event, instead of the finalizer failing forever.
func TestServiceAccountGoneAtDeletion(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, appFiles())
	f.createTenant("tenant")
	f.allowDeployments("tenant")
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
spec:
  interval: 1h
  retryInterval: 1h
  path: apps/development
  prune: true
  targetNamespace: {{ns}}
  serviceAccountName: tenant
  sourceRef:
    kind: GitRepository
    name: app`)
	ks := f.waitFor("ready", ready(f.head()))

	if err := k8sClient.Delete(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "tenant", Namespace: f.ns}}); err != nil {
		t.Fatal(err)
	}
	if err := k8sClient.Delete(ctx, ks); err != nil {
		t.Fatal(err)
	}
	f.eventually("Kustomization deleted", func() string {
		if err := k8sClient.Get(ctx, keyOf(f.ns, "app"), &kustomizev1.Kustomization{}); err == nil {
			return "still there"
		}
		return ""
	})
	if f.get("apps/v1", "Deployment", "web") == nil {
		t.Error("the Deployment was deleted without the ServiceAccount's rights")
	}
	f.eventually("a Warning event naming the ServiceAccount", func() string {
		for _, e := range f.events() {
			if e.Type == corev1.EventTypeWarning && strings.Contains(e.Message, "ServiceAccount "+f.ns+"/tenant not found") {
				return ""
			}
		}
		return "no such event"
	})
}
