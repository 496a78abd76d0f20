package release

import (
	"testing"

	releasecommon "helm.sh/helm/v4/pkg/release/common"
	releasev1 "helm.sh/helm/v4/pkg/release/v1"
)

func TestCurrent(t *testing.T) {
	rel := func(version int, status releasecommon.Status) *releasev1.Release {
		return &releasev1.Release{Version: version, Info: &releasev1.Info{Status: status}}
	}
	tests := map[string]struct {
		rels        []*releasev1.Release
		wantVersion int // 0 for none
		wantUpgrade bool
	}{
		"no release":             {nil, 0, false},
		"deployed":               {[]*releasev1.Release{rel(2, releasecommon.StatusDeployed), rel(1, releasecommon.StatusSuperseded)}, 2, true},
		"failed upgrade":         {[]*releasev1.Release{rel(3, releasecommon.StatusFailed), rel(2, releasecommon.StatusDeployed)}, 2, true},
		"failed install":         {[]*releasev1.Release{rel(1, releasecommon.StatusFailed)}, 1, true},
		"uninstalled":            {[]*releasev1.Release{rel(2, releasecommon.StatusUninstalled)}, 0, false},
		"pending, none deployed": {[]*releasev1.Release{rel(1, releasecommon.StatusPendingInstall)}, 0, true},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			current, upgrade := Current(tt.rels)
			got := 0
			if current != nil {
				got = current.Version
			}
			if got != tt.wantVersion || upgrade != tt.wantUpgrade {
				t.Errorf("Current = version %d, upgrade %v; want %d, %v", got, upgrade, tt.wantVersion, tt.wantUpgrade)
			}
		})
	}
}
