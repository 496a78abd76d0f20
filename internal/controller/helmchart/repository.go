package helmchart

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"helm.sh/helm/v4/pkg/chart/v2/loader"

	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/helm/chart"
	"github.com/ferrycd/ferry/internal/helm/repository"
	"github.com/ferrycd/ferry/internal/status"
)

// Charts from a HelmRepository: resolved in its index (type default) or
// among the registry's tags (type oci), pulled as they are, or repackaged
// with the values files.

// repositoryOptions reads the HelmRepository's URL and credentials.
func (r *Reconciler) repositoryOptions(ctx context.Context, repo *sourcev1.HelmRepository) (repository.Options, *failure) {
	opts, err := repository.OptionsFor(ctx, r.Client, repo)
	if err != nil {
		if errors.Is(err, repository.ErrInvalidURL) {
			return opts, fetchFailed(meta.URLInvalidReason, true, fmt.Errorf("invalid Helm repository URL: %w", err))
		}
		return opts, fetchFailed(meta.AuthenticationFailedReason, false, err)
	}
	return opts, nil
}

// buildFromIndex resolves the chart in the HelmRepository's index and
// downloads it unless the current artifact already holds that version.
func (r *Reconciler) buildFromIndex(ctx context.Context, obj *sourcev1.HelmChart, repo *sourcev1.HelmRepository, patcher *status.Patcher) (*build, *failure) {
	// Get the index, parsed once per digest for every HelmChart.
	art := repo.Status.Artifact
	index, err := r.Indexes.Get(art.Digest, func() (io.ReadCloser, error) { return r.Fetcher.Open(ctx, art) })
	if err != nil {
		return nil, fetchFailed(ChartPullErrorReason, false,
			fmt.Errorf("chart pull error: failed to load the index of HelmRepository '%s': %w", repo.Name, err))
	}

	// Resolve the version; a new index wakes a stalled HelmChart.
	cv, err := repository.Resolve(index, obj.Spec.Chart, obj.Spec.Version)
	if err != nil {
		return nil, fetchFailed(InvalidChartReferenceReason, true,
			fmt.Errorf("invalid chart reference: failed to get chart version for remote reference: %w", err))
	}
	b, f := r.repositoryBuild(obj, cv.Name, cv.Version)
	if f != nil || upToDate(obj, b.name, b.version) {
		return b, f
	}

	// Download, and package with the values files.
	r.progress(ctx, obj, patcher, b)
	opts, f := r.repositoryOptions(ctx, repo)
	if f != nil {
		return nil, f
	}
	data, err := repository.DownloadChart(ctx, opts, cv)
	if err != nil {
		return nil, fetchFailed(ChartPullErrorReason, false, fmt.Errorf("chart pull error: %w", err))
	}
	return r.withValues(obj, b, data)
}

// buildFromOCI resolves the chart among the tags of the OCI repository and
// pulls it unless the current artifact already holds that version.
func (r *Reconciler) buildFromOCI(ctx context.Context, obj *sourcev1.HelmChart, repo *sourcev1.HelmRepository, patcher *status.Patcher) (*build, *failure) {
	opts, f := r.repositoryOptions(ctx, repo)
	if f != nil {
		return nil, f
	}
	// No event announces a new tag: retry rather than stall.
	version, err := repository.ResolveOCI(ctx, opts, obj.Spec.Chart, obj.Spec.Version)
	if err != nil {
		return nil, fetchFailed(InvalidChartReferenceReason, false,
			fmt.Errorf("invalid chart reference: failed to get chart version for remote reference: %w", err))
	}
	b, f := r.repositoryBuild(obj, obj.Spec.Chart, version)
	if f != nil || upToDate(obj, b.name, b.version) {
		return b, f
	}
	r.progress(ctx, obj, patcher, b)
	data, _, err := repository.PullOCI(ctx, opts, obj.Spec.Chart, version)
	if err != nil {
		return nil, fetchFailed(ChartPullErrorReason, false, fmt.Errorf("chart pull error: %w", err))
	}
	return r.withValues(obj, b, data)
}

// repositoryBuild returns the build of the chart name at version, with the
// revision the values files give it; the current one when it is up to date.
func (r *Reconciler) repositoryBuild(obj *sourcev1.HelmChart, name, version string) (*build, *failure) {
	revision, err := chart.VersionWithMetadata(version, generationMetadata(obj))
	if err != nil {
		return nil, buildFailed(MetadataPatchErrorReason, true, fmt.Errorf("chart metadata patch error: %w", err))
	}
	if upToDate(obj, name, revision) {
		return current(obj, name, revision), nil
	}
	return &build{name: name, version: revision}, nil
}

// withValues returns the pulled chart data as b, as it is without values
// files, else loaded, with the values files merged into its values.yaml
// and its version marked, and packaged again.
func (r *Reconciler) withValues(obj *sourcev1.HelmChart, b *build, data []byte) (*build, *failure) {
	files := valuesFiles(obj)
	if len(files) == 0 {
		b.data = data
		return b, nil
	}
	ch, err := loader.LoadArchive(bytes.NewReader(data))
	if err != nil {
		return nil, fetchFailed(ChartPullErrorReason, false, fmt.Errorf("chart pull error: failed to load the pulled chart: %w", err))
	}
	values, used, err := chart.MergeValuesFiles(ch, "", "", files, obj.Spec.IgnoreMissingValuesFiles)
	if err != nil {
		return nil, buildFailed(ValuesFilesErrorReason, true, fmt.Errorf("values files merge error: %w", err))
	}
	if err := chart.ReplaceValues(ch, values); err != nil {
		return nil, buildFailed(ValuesFilesErrorReason, true, fmt.Errorf("values files merge error: %w", err))
	}
	if _, err := chart.SetVersionMetadata(ch, generationMetadata(obj)); err != nil {
		return nil, buildFailed(MetadataPatchErrorReason, true, fmt.Errorf("chart metadata patch error: %w", err))
	}
	if b.data, err = chart.Package(ch); err != nil {
		return nil, buildFailed(ChartPackageErrorReason, false, fmt.Errorf("chart package error: %w", err))
	}
	b.packaged, b.valuesFiles = true, used
	return b, nil
}
