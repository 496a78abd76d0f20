package kustomization_test

import (
	"context"
	"strings"
	"testing"

	apimeta "k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferrycd/ferry/internal/controller"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/api/meta"
	"github.com/ferrycd/ferry/internal/controller/kustomization"
	"github.com/ferrycd/ferry/internal/testenv"
)

// TestNoCrossNamespaceRefs checks --no-cross-namespace-refs: a
// Kustomization whose sourceRef or dependsOn names another namespace stalls
// with Flux's reason AccessDenied and a message naming the reference, and
// applies nothing; with same-namespace references it syncs.
func TestNoCrossNamespaceRefs(t *testing.T) {
	f := newFixture(t, appFiles())
	other := newFixture(t, appFiles())
	startReconciler(f, "no-cross-ns", func(o *controller.Options) { o.NoCrossNamespaceRefs = true })
	gitRepository := `apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: app
  namespace: {{ns}}
spec:
  interval: 1h
  url: {{url}}
  ref:
    branch: main`
	other.ApplyYAML(gitRepository)
	f.ApplyYAML(gitRepository + `
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: app
  namespace: {{ns}}
  labels:
    test.ferry.dev/reconciler: no-cross-ns
spec:
  interval: 1h
  retryInterval: 1h
  path: apps/staging
  prune: true
  targetNamespace: {{ns}}
  sourceRef:
    kind: GitRepository
    name: app
    namespace: ` + other.NS)

	denied := func(ref string) *kustomizev1.Kustomization {
		t.Helper()
		ks := f.WaitFor("AccessDenied", func(ks *kustomizev1.Kustomization) bool {
			return testenv.KustomizationFailed(kustomization.AccessDeniedReason, "")(ks) && ks.Status.ObservedGeneration == ks.Generation
		})
		msg := testenv.ReadyCondition(ks).Message
		if want := "can't access '" + ref + "', cross-namespace references have been blocked"; msg != want {
			t.Errorf("Ready message = %q, want %q", msg, want)
		}
		if c := apimeta.FindStatusCondition(ks.Status.Conditions, meta.StalledCondition); c == nil || c.Reason != kustomization.AccessDeniedReason {
			t.Errorf("Stalled = %+v, want reason AccessDenied", c)
		}
		if f.Get("apps/v1", "Deployment", "web") != nil {
			t.Error("a refused Kustomization applied objects")
		}
		return ks
	}
	ks := denied("GitRepository/" + other.NS + "/app")

	// A dependency in another namespace is refused too.
	patch := client.MergeFrom(ks.DeepCopy())
	ks.Spec.SourceRef.Namespace = ""
	ks.Spec.DependsOn = []kustomizev1.DependencyReference{{Name: "infra", Namespace: other.NS}}
	if err := env.Client.Patch(context.Background(), ks, patch); err != nil {
		t.Fatal(err)
	}
	ks = denied("Kustomization/" + other.NS + "/infra")
	if strings.Contains(testenv.ReadyCondition(ks).Message, "GitRepository") {
		t.Error("the message still names the source")
	}

	// Same-namespace references sync.
	patch = client.MergeFrom(ks.DeepCopy())
	ks.Spec.DependsOn = nil
	if err := env.Client.Patch(context.Background(), ks, patch); err != nil {
		t.Fatal(err)
	}
	ks = f.WaitFor("ready", testenv.KustomizationReady(f.Head()))
	if c := apimeta.FindStatusCondition(ks.Status.Conditions, meta.StalledCondition); c != nil {
		t.Errorf("Stalled is still set: %+v", c)
	}
	if f.Get("apps/v1", "Deployment", "web") == nil {
		t.Error("the Deployment was not applied")
	}
}
