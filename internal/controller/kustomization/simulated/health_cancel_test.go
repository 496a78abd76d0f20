package simulated_test

import (
	"context"
	"testing"

	apimeta "k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/testenv"
)

// TestNewRevisionCancelsHealthCheck applies a Deployment that can never be
// scheduled (and never fails: the default ten-minute progress deadline) with
// wait: true and a one-hour timeout, then fixes it in Git. The new revision
// must cancel the health check still waiting on the old one and be applied
// well within the test's deadline.
func TestNewRevisionCancelsHealthCheck(t *testing.T) {
	f := newFixture(t, map[string]string{
		"app/kustomization.yaml": kustomizationYAML("web.yaml"),
		"app/web.yaml":           deployment("web", "", unschedulable),
	})
	f.source()
	f.ks(f.NS, "app", "app", "  wait: true\n  timeout: 1h\n")
	first := f.Head()
	f.WaitFor("waiting on the health check", func(ks *kustomizev1Kustomization) bool {
		return ks.Status.LastAttemptedRevision == first && conditionReason(ks, "Healthy") == "Progressing"
	})

	fixed := f.Commit("schedule web", map[string]string{"app/web.yaml": deployment("web", "", "")})
	f.RequestReconcile(&sourcev1.GitRepository{}, "app")
	f.WaitFor("ready at the fixed revision", testenv.KustomizationReady(fixed))
	if got := testenv.Nested(f.Get("apps/v1", "Deployment", "web"), "status", "availableReplicas"); got != "1" {
		t.Errorf("Deployment web has %s available replicas, want 1", got)
	}
}

// TestChangeCancelsHealthCheck turns spec.wait off while a health check
// waits on an unschedulable Deployment with a one-hour timeout: the new
// generation cancels the check and is reconciled at once. Deleting a
// Kustomization stuck the same way cancels its check, so that it is deleted
// promptly.
func TestChangeCancelsHealthCheck(t *testing.T) {
	f := newFixture(t, map[string]string{
		"app/kustomization.yaml":    kustomizationYAML("web.yaml"),
		"app/web.yaml":              deployment("web", "", unschedulable),
		"doomed/kustomization.yaml": kustomizationYAML("db.yaml"),
		"doomed/db.yaml":            deployment("db", "", unschedulable),
	})
	f.source()
	f.ks(f.NS, "app", "app", "  wait: true\n  timeout: 1h\n")
	f.ks(f.NS, "doomed", "doomed", "  wait: true\n  timeout: 1h\n")
	waiting := func(ks *kustomizev1Kustomization) bool {
		return ks.Status.LastAttemptedRevision == f.Head() && conditionReason(ks, "Healthy") == "Progressing"
	}
	f.WaitFor("waiting on the health check", waiting)
	f.WaitForKS(f.NS, "doomed", "waiting on the health check", waiting)

	ctx := context.Background()
	ks := &kustomizev1.Kustomization{}
	if err := env.Client.Get(ctx, testenv.Key(f.NS, "app"), ks); err != nil {
		t.Fatal(err)
	}
	patch := client.MergeFrom(ks.DeepCopy())
	ks.Spec.Wait = false
	if err := env.Client.Patch(ctx, ks, patch); err != nil {
		t.Fatal(err)
	}
	ks = f.WaitFor("ready without waiting", testenv.KustomizationReady(f.Head()))
	if c := apimeta.FindStatusCondition(ks.Status.Conditions, "Healthy"); c != nil {
		t.Errorf("Healthy condition %+v kept after wait was turned off", c)
	}

	doomed := &kustomizev1.Kustomization{}
	if err := env.Client.Get(ctx, testenv.Key(f.NS, "doomed"), doomed); err != nil {
		t.Fatal(err)
	}
	if err := env.Client.Delete(ctx, doomed); err != nil {
		t.Fatal(err)
	}
	f.Eventually("the Kustomization deleted", func() string {
		if err := env.Client.Get(ctx, testenv.Key(f.NS, "doomed"), &kustomizev1.Kustomization{}); err == nil {
			return "Kustomization doomed still exists"
		}
		return ""
	})
}
