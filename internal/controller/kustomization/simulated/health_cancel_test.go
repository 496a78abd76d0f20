package simulated_test

import (
	"context"
	"testing"

	apimeta "k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
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
	f.ks(f.ns, "app", "app", "  wait: true\n  timeout: 1h\n")
	first := f.head()
	f.waitFor("waiting on the health check", func(ks *kustomizev1Kustomization) bool {
		return ks.Status.LastAttemptedRevision == first && conditionReason(ks, "Healthy") == "Progressing"
	})

	fixed := f.commit("schedule web", map[string]string{"app/web.yaml": deployment("web", "", "")})
	f.requestReconcile(&sourcev1.GitRepository{}, "app")
	f.waitFor("ready at the fixed revision", ready(fixed))
	if got := nested(f.get("apps/v1", "Deployment", "web"), "status", "availableReplicas"); got != "1" {
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
	f.ks(f.ns, "app", "app", "  wait: true\n  timeout: 1h\n")
	f.ks(f.ns, "doomed", "doomed", "  wait: true\n  timeout: 1h\n")
	waiting := func(ks *kustomizev1Kustomization) bool {
		return ks.Status.LastAttemptedRevision == f.head() && conditionReason(ks, "Healthy") == "Progressing"
	}
	f.waitFor("waiting on the health check", waiting)
	f.waitForKS(f.ns, "doomed", "waiting on the health check", waiting)

	ctx := context.Background()
	ks := &kustomizev1.Kustomization{}
	if err := k8sClient.Get(ctx, keyOf(f.ns, "app"), ks); err != nil {
		t.Fatal(err)
	}
	patch := client.MergeFrom(ks.DeepCopy())
	ks.Spec.Wait = false
	if err := k8sClient.Patch(ctx, ks, patch); err != nil {
		t.Fatal(err)
	}
	ks = f.waitFor("ready without waiting", ready(f.head()))
	if c := apimeta.FindStatusCondition(ks.Status.Conditions, "Healthy"); c != nil {
		t.Errorf("Healthy condition %+v kept after wait was turned off", c)
	}

	doomed := &kustomizev1.Kustomization{}
	if err := k8sClient.Get(ctx, keyOf(f.ns, "doomed"), doomed); err != nil {
		t.Fatal(err)
	}
	if err := k8sClient.Delete(ctx, doomed); err != nil {
		t.Fatal(err)
	}
	f.eventually("the Kustomization deleted", func() string {
		if err := k8sClient.Get(ctx, keyOf(f.ns, "doomed"), &kustomizev1.Kustomization{}); err == nil {
			return "Kustomization doomed still exists"
		}
		return ""
	})
}
