package helmrelease

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/log"

	helmv2 "github.com/ferrycd/ferry/api/helm/v2"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/helm/release"
)

// finalize uninstalls the release of a deleted HelmRelease, unless it is
// suspended or ferry never released it (nothing is deleted that ferry did
// not make), and deletes the HelmChart made from spec.chart.
func (r *Reconciler) finalize(ctx context.Context, hr *helmv2.HelmRelease) error {
	logger := log.FromContext(ctx)
	switch {
	case hr.Spec.Suspend:
		logger.Info("skipping the Helm uninstall of a suspended HelmRelease")
	case len(hr.Status.History) == 0:
		logger.Info("skipping the Helm uninstall: ferry made no release for this HelmRelease")
	default:
		if err := r.uninstall(ctx, hr); err != nil {
			return err
		}
	}
	if hr.Spec.Chart != nil {
		key, _ := release.ChartKey(hr)
		hc := &sourcev1.HelmChart{ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name}}
		if err := r.Delete(ctx, hc); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("deleting HelmChart '%s': %w", key, err)
		}
	}
	return nil
}

func (r *Reconciler) uninstall(ctx context.Context, hr *helmv2.HelmRelease) error {
	missing, err := r.impersonator().Missing(ctx, target(hr))
	if err != nil {
		return err
	}
	if missing != "" {
		msg := fmt.Sprintf("skipping the Helm uninstall: %s not found; the release is left in place", missing)
		log.FromContext(ctx).Info(msg)
		r.warning(hr, "", helmv2.UninstallFailedReason, msg)
		return nil
	}
	_, cluster, err := r.cluster(ctx, hr)
	if err != nil {
		return err
	}
	cfg, err := cluster.Configuration(ctx, release.Target{Namespace: hr.GetReleaseNamespace(), StorageNamespace: hr.GetStorageNamespace()})
	if err != nil {
		return err
	}
	unlock := r.locks.lock(hr.GetStorageNamespace() + "/" + hr.GetReleaseName())
	defer unlock()
	runner := &release.Runner{Config: cfg, Cluster: cluster, Release: hr, TempDir: r.TempDir}
	rel, err := runner.Last()
	if err != nil {
		return err
	}
	if rel == nil {
		return nil
	}
	if rel.Labels[release.NameLabel] != "" && (rel.Labels[release.NameLabel] != hr.Name || rel.Labels[release.NamespaceLabel] != hr.Namespace) {
		log.FromContext(ctx).Info("skipping the Helm uninstall: the release belongs to another HelmRelease",
			"owner", rel.Labels[release.NamespaceLabel]+"/"+rel.Labels[release.NameLabel])
		return nil
	}
	if err := runner.Uninstall(ctx); err != nil {
		msg := fmt.Sprintf("Helm uninstall for release %s/%s failed: %s", hr.GetReleaseNamespace(), hr.GetReleaseName(), err)
		r.warning(hr, "", helmv2.UninstallFailedReason, msg)
		return fmt.Errorf("%s", msg)
	}
	r.normal(hr, "", helmv2.UninstallSucceededReason, fmt.Sprintf("Helm uninstall for release %s/%s succeeded", hr.GetReleaseNamespace(), hr.GetReleaseName()))
	return nil
}
