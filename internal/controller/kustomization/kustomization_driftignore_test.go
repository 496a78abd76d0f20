package kustomization_test

import (
	"context"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/client"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/internal/testenv"
)

// TestDriftIgnoreRules: a field that spec.driftIgnoreRules names (here the
// replicas an autoscaler would own) keeps its live value, while the rest of
// the drift is still reverted.
func TestDriftIgnoreRules(t *testing.T) {
	f := newFixture(t, appFiles())
	f.sync("apps/production", true)
	f.WaitFor("ready", testenv.KustomizationReady(f.Head()))

	ks := f.kustomization()
	before := ks.Generation
	patch := []byte(`{"spec":{"driftIgnoreRules":[{"paths":["/spec/replicas"],"target":{"kind":"Deployment","name":"web"}}]}}`)
	if err := env.Client.Patch(context.Background(), ks, client.RawPatch("application/merge-patch+json", patch)); err != nil {
		t.Fatal(err)
	}
	f.WaitFor("ready with the rules", func(k *kustomizev1.Kustomization) bool {
		return testenv.KustomizationReady(f.Head())(k) && k.Status.ObservedGeneration == k.Generation && k.Generation > before
	})

	deploy := f.Get("apps/v1", "Deployment", "web")
	tamper := []byte(`{"spec":{"replicas":9},"metadata":{"labels":{"environment":"tampered"}}}`)
	if err := env.Client.Patch(context.Background(), deploy, client.RawPatch("application/merge-patch+json", tamper), client.FieldOwner("kubectl")); err != nil {
		t.Fatal(err)
	}
	token := f.RequestReconcile(&kustomizev1.Kustomization{}, "app")
	f.WaitFor("reconciled at "+token, func(k *kustomizev1.Kustomization) bool {
		return k.Status.LastHandledReconcileAt == token
	})
	f.Eventually("the label reverted, the replicas kept", func() string {
		d := f.Get("apps/v1", "Deployment", "web")
		if l := d.GetLabels()["environment"]; l != "production" {
			return "environment label = " + l
		}
		if r := testenv.Nested(d, "spec", "replicas"); r != "9" {
			return "replicas = " + r + ", want the ignored live value 9"
		}
		return ""
	})
}
