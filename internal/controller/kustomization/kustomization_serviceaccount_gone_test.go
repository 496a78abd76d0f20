package kustomization_test

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/internal/testenv"
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
	ks := f.WaitFor("ready", testenv.KustomizationReady(f.Head()))

	if err := env.Client.Delete(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "tenant", Namespace: f.NS}}); err != nil {
		t.Fatal(err)
	}
	if err := env.Client.Delete(ctx, ks); err != nil {
		t.Fatal(err)
	}
	f.Eventually("Kustomization deleted", func() string {
		if err := env.Client.Get(ctx, testenv.Key(f.NS, "app"), &kustomizev1.Kustomization{}); err == nil {
			return "still there"
		}
		return ""
	})
	if f.Get("apps/v1", "Deployment", "web") == nil {
		t.Error("the Deployment was deleted without the ServiceAccount's rights")
	}
	f.Eventually("a Warning event naming the ServiceAccount", func() string {
		for _, e := range f.Events() {
			if e.Type == corev1.EventTypeWarning && strings.Contains(e.Message, "ServiceAccount "+f.NS+"/tenant not found") {
				return ""
			}
		}
		return "no such event"
	})
}
