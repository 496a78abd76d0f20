package helmrelease_test

import (
	"testing"

	helmv2 "github.com/ferrycd/ferry/api/helm/v2"
	"github.com/ferrycd/ferry/internal/helm/helmtest"
)

// TestSlowReleaseDoesNotBlockOthers: while one release waits (timeout 5m)
// for a Deployment that never becomes Available, other releases, one of
// them with the same chart, install and upgrade.
func TestSlowReleaseDoesNotBlockOthers(t *testing.T) {
	ns := env.NewNamespace(t, "hr-parallel")
	publish(t, ns, "slow", deployChart)
	apply(t, ns, hrDoc("slow", "  timeout: 5m\n"+brokenValues))
	waitHR(t, ns, "slow", "waiting in its install", func(hr *helmv2.HelmRelease) bool {
		c := condition(hr, "Reconciling")
		return c != nil && hr.Status.LastAttemptedReleaseAction == helmv2.ReleaseActionInstall
	})
	publish(t, ns, "fast", deployChart)
	publish(t, ns, "other", helmtest.Chart{Name: "other", Version: "1.0.0"})
	apply(t, ns, hrDoc("fast", ""))
	apply(t, ns, hrDoc("other", ""))
	waitHR(t, ns, "fast", "installed", readyWith(helmv2.InstallSucceededReason))
	waitHR(t, ns, "other", "installed", readyWith(helmv2.InstallSucceededReason))
	apply(t, ns, hrDoc("other", "  values:\n    data:\n      k: v\n"))
	waitHR(t, ns, "other", "upgraded", readyWith(helmv2.UpgradeSucceededReason))
	if hr := waitHR(t, ns, "slow", "still waiting", func(*helmv2.HelmRelease) bool { return true }); readyWith("")(hr) {
		t.Error("the broken release became Ready")
	}
}
