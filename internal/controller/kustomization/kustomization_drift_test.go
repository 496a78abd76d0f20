package kustomization_test

import (
	"context"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/client"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/internal/testenv"
)

// TestDriftReverted scales the Deployment by hand, as `kubectl scale` would,
// and checks the next reconciliation, asked for with requestedAt, puts the
// value from Git back.
func TestDriftReverted(t *testing.T) {
	f := newFixture(t, appFiles())
	f.sync("apps/production", true)
	f.WaitFor("ready", testenv.KustomizationReady(f.Head()))

	for _, manager := range []string{"kubectl", "kubectl-edit"} {
		deploy := f.Get("apps/v1", "Deployment", "web")
		patch := []byte(`{"spec":{"replicas":9},"metadata":{"labels":{"environment":"tampered"}}}`)
		if err := env.Client.Patch(context.Background(), deploy, client.RawPatch("application/merge-patch+json", patch), client.FieldOwner(manager)); err != nil {
			t.Fatal(err)
		}
		if got := testenv.Nested(f.Get("apps/v1", "Deployment", "web"), "spec", "replicas"); got != "9" {
			t.Fatalf("replicas = %s after the manual scale, want 9", got)
		}

		token := f.RequestReconcile(&kustomizev1.Kustomization{}, "app")
		f.WaitFor("reconciled at "+token, func(ks *kustomizev1.Kustomization) bool {
			return ks.Status.LastHandledReconcileAt == token
		})
		f.Eventually("the drift reverted", func() string {
			d := f.Get("apps/v1", "Deployment", "web")
			if r := testenv.Nested(d, "spec", "replicas"); r != "3" {
				return "replicas = " + r
			}
			if l := d.GetLabels()["environment"]; l != "production" {
				return "environment label = " + l
			}
			return ""
		})
	}
}
