package simulated_test

import (
	"fmt"
	"testing"

	"github.com/ferrycd/ferry/internal/testenv"
)

// TestWaitingHoldsNoWorker has more Kustomizations waiting on health checks
// that cannot pass (unschedulable Deployments, one-hour timeout) than the
// suite has workers (4): a Kustomization created after them must still be
// applied, checked and Ready, since a waiting check holds no worker.
func TestWaitingHoldsNoWorker(t *testing.T) {
	const stuck = 6
	files := map[string]string{
		"free/kustomization.yaml": kustomizationYAML("web.yaml"),
		"free/web.yaml":           deployment("web", "", ""),
	}
	for i := range stuck {
		files[fmt.Sprintf("stuck%d/kustomization.yaml", i)] = kustomizationYAML("web.yaml")
		files[fmt.Sprintf("stuck%d/web.yaml", i)] = deployment(fmt.Sprintf("stuck%d", i), "", unschedulable)
	}
	f := newFixture(t, files)
	f.source()
	waiting := func(ks *kustomizev1Kustomization) bool {
		return ks.Status.LastAttemptedRevision == f.Head() && conditionReason(ks, "Healthy") == "Progressing"
	}
	for i := range stuck {
		name := fmt.Sprintf("stuck%d", i)
		f.ks(f.NS, name, name, "  wait: true\n  timeout: 1h\n")
	}
	for i := range stuck {
		f.WaitForKS(f.NS, fmt.Sprintf("stuck%d", i), "waiting on the health check", waiting)
	}
	f.ks(f.NS, "free", "free", "  wait: true\n  timeout: 1h\n")
	f.WaitForKS(f.NS, "free", "ready beside the waiting ones", testenv.KustomizationReady(f.Head()))
	for i := range stuck {
		f.WaitForKS(f.NS, fmt.Sprintf("stuck%d", i), "still waiting", waiting)
	}
}
