package helmchart

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/helm/chart"
	"github.com/ferrycd/ferry/internal/status"
)

// Charts from a GitRepository or a Bucket: the chart directory of the artifact, loaded
// confined to it, with its values files and dependencies, packaged.

// buildFromArtifact builds the chart at spec.chart in the source artifact
// a, unless the current artifact already holds its revision.
func (r *Reconciler) buildFromArtifact(ctx context.Context, obj *sourcev1.HelmChart, a *meta.Artifact, patcher *status.Patcher) (*build, *failure) {
	// Unpack the artifact, once per digest, shared read-only.
	dir, release, err := r.artifacts.Acquire(ctx, a)
	if err != nil {
		return nil, fetchFailed(meta.FailedReason, false, fmt.Errorf("failed to fetch the source artifact of revision '%s': %w", a.Revision, err))
	}
	defer release()

	// Load the chart, confined to the artifact.
	ch, err := chart.LoadDir(dir, obj.Spec.Chart)
	if err != nil {
		return nil, fetchFailed(InvalidChartReferenceReason, true, chartPathError(obj, a, err))
	}

	// The revision: the chart version, with the source revision (strategy
	// Revision) and the generation (values files) as metadata.
	var metadata []string
	if obj.GetReconcileStrategy() == sourcev1.ReconcileStrategyRevision {
		metadata = append(metadata, shortHash(a.Revision))
	}
	if g := generationMetadata(obj); g != "" {
		metadata = append(metadata, g)
	}
	revision, err := chart.VersionWithMetadata(ch.Metadata.Version, strings.Join(metadata, "."))
	if err != nil {
		return nil, buildFailed(MetadataPatchErrorReason, true, fmt.Errorf("chart metadata patch error: %w", err))
	}
	if upToDate(obj, ch.Name(), revision) {
		return current(obj, ch.Name(), revision), nil
	}
	b := &build{name: ch.Name(), version: revision, packaged: true}
	r.progress(ctx, obj, patcher, b)

	// Merge the values files into values.yaml.
	if files := valuesFiles(obj); len(files) > 0 {
		values, used, err := chart.MergeValuesFiles(ch, dir, obj.Spec.Chart, files, obj.Spec.IgnoreMissingValuesFiles)
		if err != nil {
			return nil, buildFailed(ValuesFilesErrorReason, true, fmt.Errorf("values files merge error: %w", err))
		}
		if err := chart.ReplaceValues(ch, values); err != nil {
			return nil, buildFailed(ValuesFilesErrorReason, true, fmt.Errorf("values files merge error: %w", err))
		}
		b.valuesFiles = used
	}

	// Resolve the dependencies charts/ does not hold.
	n, err := chart.BuildDependencies(ctx, ch, dir, obj.Spec.Chart, &dependencyRepositories{r: r, namespace: obj.Namespace})
	if err != nil {
		// One leaving the artifact needs a new commit; others may be transient.
		return nil, buildFailed(DependencyBuildErrorReason, errors.Is(err, chart.ErrOutsideRoot), err)
	}
	b.dependencies = n

	// Package.
	ch.Metadata.Version = revision
	if b.data, err = chart.Package(ch); err != nil {
		return nil, buildFailed(ChartPackageErrorReason, false, fmt.Errorf("chart package error: %w", err))
	}
	return b, nil
}

// chartPathError explains why spec.chart is not a chart of the artifact.
func chartPathError(obj *sourcev1.HelmChart, a *meta.Artifact, err error) error {
	switch {
	case errors.Is(err, chart.ErrOutsideRoot):
		return fmt.Errorf("invalid chart reference: spec.chart '%s' must stay inside the %s artifact: %w",
			obj.Spec.Chart, obj.Spec.SourceRef.Kind, err)
	case errors.Is(err, chart.ErrNotFound):
		return fmt.Errorf("invalid chart reference: %w at revision '%s'", err, a.Revision)
	}
	return fmt.Errorf("invalid chart reference: %w", err)
}

// shortHash returns the first 12 hex digits of a source revision's hash
// ("main@sha1:<hex>", "sha256:<hex>", or a bare hash), as Flux marks the
// chart versions of reconcileStrategy Revision.
func shortHash(revision string) string {
	h := revision
	if i := strings.LastIndex(h, ":"); i >= 0 {
		h = h[i+1:]
	} else if i := strings.LastIndex(h, "@"); i >= 0 {
		h = h[i+1:]
	}
	if len(h) > 12 {
		h = h[:12]
	}
	return h
}
