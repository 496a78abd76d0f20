package simulated_test

import (
	"testing"

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
