package helmchart

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path"
	"strconv"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/events"
	"github.com/ferrycd/ferry/internal/reconcile"
	"github.com/ferrycd/ferry/internal/source"
	"github.com/ferrycd/ferry/internal/status"
)

// The reasons Flux's source-controller reports HelmChart failures with.
const (
	// InvalidChartReferenceReason: spec.chart or spec.version resolves to no
	// chart (or a chart path that is not a chart, or leaves the artifact).
	InvalidChartReferenceReason = "InvalidChartReference"
	// ChartPullErrorReason: the chart (or the index) could not be fetched.
	ChartPullErrorReason = "ChartPullError"
	// MetadataPatchErrorReason: the version could not take the revision's
	// build metadata.
	MetadataPatchErrorReason = "MetadataPatchError"
	// ValuesFilesErrorReason: a values file is missing, invalid or leaves
	// the artifact.
	ValuesFilesErrorReason = "ValuesFilesError"
	// DependencyBuildErrorReason: a dependency could not be resolved.
	DependencyBuildErrorReason = "DependencyBuildError"
	// ChartPackageErrorReason: the chart could not be packaged.
	ChartPackageErrorReason = "ChartPackageError"
	// SourceUnavailableReason: the source object could not be read.
	SourceUnavailableReason = "SourceUnavailable"
	// NoSourceArtifactReason: the source has no artifact yet.
	NoSourceArtifactReason = "NoSourceArtifact"
	// UnsupportedSourceKindReason: spec.sourceRef names a kind that is not
	// served (yet).
	UnsupportedSourceKindReason = "UnsupportedSourceKind"
	// UnsupportedFieldReason: a field ferry does not act on yet is set.
	UnsupportedFieldReason = "UnsupportedField"
	// NewChartReason: the chart to build differs from the stored artifact.
	NewChartReason = "NewChart"
)

// failure is a reconcile failure with the reasons to report it under.
type failure struct {
	// condType is the negative-polarity condition that records it
	// (FetchFailed, BuildFailed or StorageOperationFailed), or "".
	condType string
	reason   string
	err      error
	// stalled failures need a change (of the spec, or of the source's
	// artifact, whose watch wakes the HelmChart); retrying cannot help.
	stalled bool
	// waiting failures (no source artifact yet) are retried after this
	// long, without an error and its backoff.
	waiting time.Duration
}

func (f *failure) Error() string { return f.err.Error() }

func fetchFailed(reason string, stalled bool, err error) *failure {
	return &failure{condType: meta.FetchFailedCondition, reason: reason, err: err, stalled: stalled}
}

func buildFailed(reason string, stalled bool, err error) *failure {
	return &failure{condType: meta.BuildFailedCondition, reason: reason, err: err, stalled: stalled}
}

// build is the chart a reconcile produced, or found already stored.
type build struct {
	name    string
	version string // the artifact revision: the chart version with its metadata
	// data is the packaged chart to store; nil when the current artifact
	// already holds it.
	data []byte
	// packaged is false for a chart pulled from a repository as it is.
	packaged bool
	// valuesFiles are the values files merged into it.
	valuesFiles []string
	// dependencies is how many dependencies were resolved.
	dependencies int
}

// summary describes the build as Flux's chart.Build.Summary does.
func (b *build) summary() string {
	action := "pulled"
	if b.packaged {
		action = "packaged"
	}
	s := fmt.Sprintf("%s '%s' chart with version '%s'", action, b.name, b.version)
	if len(b.valuesFiles) > 0 {
		s += fmt.Sprintf(" and merged values files %v", b.valuesFiles)
	}
	return s
}

// reason is the success reason of the build.
func (b *build) reason() string {
	if b.packaged {
		return sourcev1.ChartPackageSucceededReason
	}
	return sourcev1.ChartPullSucceededReason
}

// reconcile runs the phases: check the storage and the spec, get the
// source, build (or find up to date) the chart and store it. Its error is
// the outcome (see internal/reconcile).
func (r *Reconciler) reconcile(ctx context.Context, obj *sourcev1.HelmChart, patcher *status.Patcher) error {
	old := obj.DeepCopy()
	wasFailing := source.Begin(obj, obj.Status.ObservedGeneration)
	source.KeepStored(obj, r.Storage, &obj.Status.Artifact, &obj.Status.URL)
	if obj.Status.Artifact == nil && obj.Generation == obj.Status.ObservedGeneration {
		status.MarkReconciling(obj, meta.ProgressingReason, "building artifact")
	}

	// Refuse what cannot be honoured yet.
	if obj.Spec.Verify != nil {
		return r.fail(obj, &failure{reason: UnsupportedFieldReason, stalled: true,
			err: errors.New("chart verification (cosign/notation) is not supported yet: remove spec.verify")})
	}

	// Get the source and build from it.
	b, f := r.buildFromSource(ctx, obj, patcher)
	if f != nil {
		return r.fail(obj, f)
	}

	// Store the chart, unless the current artifact already is it.
	if b.data != nil {
		a, err := r.Storage.StoreFile(sourcev1.HelmChartKind, obj.Namespace, obj.Name, b.version,
			fmt.Sprintf("%s-%s.tgz", b.name, b.version), bytes.NewReader(b.data))
		if err != nil {
			return r.fail(obj, &failure{condType: meta.StorageOperationFailedCondition, reason: meta.ArchiveOperationFailedReason,
				err: fmt.Errorf("unable to copy Helm chart to storage: %w", err)})
		}
		obj.Status.Artifact = a
		obj.Status.URL = a.URL
		obj.Status.ObservedChartName = b.name
		obj.Status.ObservedValuesFiles = nil
		if obj.Spec.IgnoreMissingValuesFiles {
			obj.Status.ObservedValuesFiles = b.valuesFiles
		}
		if err := r.Storage.GC(sourcev1.HelmChartKind, obj.Namespace, obj.Name, r.retention()); err != nil {
			ctrl.LoggerFrom(ctx).Error(err, "garbage collection of artifacts failed")
		}
		if b.dependencies > 0 {
			ctrl.LoggerFrom(ctx).Info(fmt.Sprintf("resolved %d chart dependencies", b.dependencies))
		}
		ctrl.LoggerFrom(ctx).Info("stored artifact", "revision", a.Revision, "digest", a.Digest)
	}
	r.succeed(obj, old, wasFailing, b)
	return nil
}

// buildFromSource gets the source spec.sourceRef names and builds the
// chart from it.
func (r *Reconciler) buildFromSource(ctx context.Context, obj *sourcev1.HelmChart, patcher *status.Patcher) (*build, *failure) {
	ref := obj.Spec.SourceRef
	key := types.NamespacedName{Namespace: obj.Namespace, Name: ref.Name}
	notFound := func(err error) *failure {
		if apierrors.IsNotFound(err) {
			err = fmt.Errorf("%s '%s' not found", ref.Kind, key)
		}
		return fetchFailed(SourceUnavailableReason, false, fmt.Errorf("failed to get source: %w", err))
	}
	switch ref.Kind {
	case sourcev1.HelmRepositoryKind:
		repo := &sourcev1.HelmRepository{}
		if err := r.Get(ctx, key, repo); err != nil {
			return nil, notFound(err)
		}
		if repo.IsOCI() {
			return r.buildFromOCI(ctx, obj, repo, patcher)
		}
		if f := r.observeSourceArtifact(obj, repo); f != nil {
			return nil, f
		}
		return r.buildFromIndex(ctx, obj, repo, patcher)
	case sourcev1.GitRepositoryKind, sourcev1.BucketKind:
		// A chart directory in the artifact of a Git repository or a bucket.
		src, err := source.Get(ctx, r.Client, ref.Kind, key)
		if err != nil {
			return nil, notFound(err)
		}
		if f := r.observeSourceArtifact(obj, src); f != nil {
			return nil, f
		}
		return r.buildFromArtifact(ctx, obj, src.GetArtifact(), patcher)
	default:
		return nil, fetchFailed(UnsupportedSourceKindReason, true,
			fmt.Errorf("unsupported source kind '%s', must be one of: HelmRepository, GitRepository, Bucket", ref.Kind))
	}
}

// observeSourceArtifact records the source's artifact revision, or the
// failure of a source without one, which is waited for.
func (r *Reconciler) observeSourceArtifact(obj *sourcev1.HelmChart, src sourcev1.Source) *failure {
	a := src.GetArtifact()
	if a == nil {
		f := fetchFailed(NoSourceArtifactReason, false, fmt.Errorf("no artifact available for %s source '%s', retrying in %s",
			obj.Spec.SourceRef.Kind, obj.Spec.SourceRef.Name, r.dependencyRequeue()))
		f.waiting = r.dependencyRequeue()
		return f
	}
	obj.Status.ObservedSourceArtifactRevision = a.Revision
	return nil
}

// upToDate reports whether the current artifact is the chart name at
// revision, built for the current generation: nothing needs to be fetched.
func upToDate(obj *sourcev1.HelmChart, name, revision string) bool {
	return obj.Status.Artifact.HasRevision(revision) && obj.Status.ObservedChartName == name &&
		obj.Generation == obj.Status.ObservedGeneration
}

// current returns the build of the stored artifact.
func current(obj *sourcev1.HelmChart, name, revision string) *build {
	b := &build{name: name, version: revision}
	if c := status.Get(obj, meta.ArtifactInStorageCondition); c != nil && c.Reason == sourcev1.ChartPackageSucceededReason {
		b.packaged = true
	}
	b.valuesFiles = obj.Status.ObservedValuesFiles
	if !obj.Spec.IgnoreMissingValuesFiles {
		b.valuesFiles = valuesFiles(obj)
	}
	return b
}

// progress marks obj as building the chart name at revision (and, with an
// artifact already, that artifact outdated) and patches it.
func (r *Reconciler) progress(ctx context.Context, obj *sourcev1.HelmChart, patcher *status.Patcher, b *build) {
	msg := fmt.Sprintf("new '%s' chart with version '%s'", b.name, b.version)
	if obj.Status.Artifact != nil {
		status.MarkTrue(obj, meta.ArtifactOutdatedCondition, NewChartReason, "%s", msg)
	}
	status.MarkReconciling(obj, meta.ProgressingReason, "building artifact: %s", msg)
	if err := patcher.Patch(ctx, obj); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "failed to patch the progress")
	}
}

// valuesFiles returns the values files to merge; a lone values.yaml is the
// chart's own values, no values file at all (Flux's rule).
func valuesFiles(obj *sourcev1.HelmChart) []string {
	files := obj.GetValuesFiles()
	if len(files) == 1 && path.Clean(files[0]) == "values.yaml" {
		return nil
	}
	return files
}

// generationMetadata returns the version metadata values files add: the
// generation, so that a consumer notices a change of the values.
func generationMetadata(obj *sourcev1.HelmChart) string {
	if len(valuesFiles(obj)) == 0 {
		return ""
	}
	return strconv.FormatInt(obj.Generation, 10)
}

// succeed marks obj Ready for its artifact and emits the event Flux emits:
// one on a new artifact (digest changed), one when recovering from a
// failure.
func (r *Reconciler) succeed(obj, old *sourcev1.HelmChart, wasFailing bool, b *build) {
	a := obj.Status.Artifact
	msg := b.summary()
	status.Delete(obj, meta.FetchFailedCondition)
	status.Delete(obj, meta.BuildFailedCondition)
	status.Delete(obj, meta.StorageOperationFailedCondition)
	status.Delete(obj, meta.ArtifactOutdatedCondition)
	status.MarkTrue(obj, meta.ArtifactInStorageCondition, b.reason(), "%s", msg)
	status.MarkReady(obj, b.reason(), "%s", msg)
	obj.Status.ObservedGeneration = obj.Generation

	metadata := map[string]string{events.MetaRevision: a.Revision, events.MetaDigest: a.Digest}
	if !old.Status.Artifact.HasDigest(a.Digest) || wasFailing {
		r.Events.Normal(obj, b.reason(), msg, metadata)
	}
}

// fail records f on obj: its condition, Ready=False with the same reason and
// message, Stalled or Reconciling (with retry), and a Warning event. It
// returns the outcome: Stalled for a misconfigured object, Waiting for one
// waiting on its source, else a transient error retried with backoff.
func (r *Reconciler) fail(obj *sourcev1.HelmChart, f *failure) error {
	msg := f.err.Error()
	switch f.condType {
	case meta.FetchFailedCondition:
		status.Delete(obj, meta.BuildFailedCondition)
	case meta.BuildFailedCondition:
		status.Delete(obj, meta.FetchFailedCondition)
	}
	if f.condType != "" {
		status.MarkTrue(obj, f.condType, f.reason, "%s", msg)
	}
	status.MarkFalse(obj, meta.ReadyCondition, f.reason, "%s", msg)
	err := errors.New(msg)
	if f.waiting > 0 {
		status.MarkReconciling(obj, meta.ProgressingWithRetryReason, "%s", msg)
		return reconcile.Waiting(f.reason, f.waiting, err)
	}
	r.Events.Warning(obj, f.reason, msg, nil)
	if f.stalled {
		status.MarkStalled(obj, f.reason, "%s", msg)
		return reconcile.Stalled(f.reason, err)
	}
	progress := msg
	if c := status.Get(obj, meta.ReconcilingCondition); c != nil {
		progress = c.Message
	}
	status.MarkReconciling(obj, meta.ProgressingWithRetryReason, "%s", progress)
	return err
}
