package helmrelease

import (
	"context"
	"fmt"

	"sigs.k8s.io/controller-runtime/pkg/log"

	helmv2 "github.com/ferrycd/ferry/api/helm/v2"
	"github.com/ferrycd/ferry/internal/helm/release"
)

// retarget uninstalls the release ferry made last when the HelmRelease
// now names another one (releaseName, targetNamespace, storageNamespace
// changed) or, unless upgrade.chartNameChangeStrategy is InPlaceUpdate,
// another chart, as helm-controller does: the old release would otherwise
// be left behind, or be upgraded to an unrelated chart. The next step
// installs the new one. prevStorage is the storage namespace the status
// recorded before this reconciliation.
func (s *step) retarget(ctx context.Context, prevStorage string) error {
	hr := s.hr
	latest := hr.Status.History.Latest()
	if latest == nil {
		return nil
	}
	storage := prevStorage
	if storage == "" {
		storage = hr.GetStorageNamespace()
	}
	var why string
	switch {
	case latest.Name != hr.GetReleaseName():
		why = fmt.Sprintf("release name %s → %s", latest.Name, hr.GetReleaseName())
	case latest.Namespace != hr.GetReleaseNamespace():
		why = fmt.Sprintf("target namespace %s → %s", latest.Namespace, hr.GetReleaseNamespace())
	case storage != hr.GetStorageNamespace():
		why = fmt.Sprintf("storage namespace %s → %s", storage, hr.GetStorageNamespace())
	case latest.ChartName != s.want.chartName && hr.GetUpgrade().ChartNameChangeStrategy != helmv2.ChartNameChangeInPlaceUpdate:
		why = fmt.Sprintf("chart name %s → %s", latest.ChartName, s.want.chartName)
	default:
		return nil
	}
	old := hr.DeepCopy()
	old.Spec.ReleaseName = latest.Name
	cfg, err := s.cluster.Configuration(ctx, release.Target{Namespace: latest.Namespace, StorageNamespace: storage})
	if err != nil {
		return err
	}
	runner := &release.Runner{Config: cfg, Cluster: s.cluster, Release: old, TempDir: s.r.TempDir}
	if err := runner.Uninstall(ctx); err != nil {
		msg := fmt.Sprintf("release target configuration changed (%s): uninstall of release %s/%s failed: %s", why, latest.Namespace, latest.Name, err)
		s.r.warning(hr, s.want.chartVersion, helmv2.UninstallFailedReason, msg)
		return fmt.Errorf("%s", msg)
	}
	msg := fmt.Sprintf("release target configuration changed (%s): uninstalled release %s/%s", why, latest.Namespace, latest.Name)
	log.FromContext(ctx).Info(msg)
	s.r.normal(hr, s.want.chartVersion, helmv2.UninstallSucceededReason, msg)
	hr.Status.History = nil
	hr.Status.Inventory = nil
	return nil
}
