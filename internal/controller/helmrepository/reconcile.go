package helmrepository

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/artifact"
	"github.com/ferrycd/ferry/internal/events"
	"github.com/ferrycd/ferry/internal/helm/repository"
	"github.com/ferrycd/ferry/internal/reconcile"
	"github.com/ferrycd/ferry/internal/source"
	"github.com/ferrycd/ferry/internal/status"
)

// UnsupportedFieldReason is ferry's reason for a field it cannot honour
// yet: a spec.provider other than generic.
const UnsupportedFieldReason = "UnsupportedField"

// ReadyMessage is the Ready message of an OCI HelmRepository, Flux's.
const ReadyMessage = "Helm repository is Ready"

// failure is a reconcile failure with the reasons to report it under.
type failure struct {
	// condType is the negative-polarity condition that records it
	// (FetchFailed or StorageOperationFailed).
	condType string
	reason   string
	err      error
	// stalled failures need a spec change; retrying cannot help.
	stalled bool
}

// reconcile runs the phases: check the spec, then for an HTTP repository
// fetch the index and store it; an OCI repository is Ready once checked.
// Its error is the outcome (see internal/reconcile).
func (r *Reconciler) reconcile(ctx context.Context, obj *sourcev1.HelmRepository, patcher *status.Patcher) error {
	old := obj.DeepCopy()
	wasFailing := source.Begin(obj, obj.Status.ObservedGeneration)

	// Resolve the spec and its Secrets into client options.
	if obj.IsOCI() {
		if p := obj.GetProvider(); p != sourcev1.GitProviderGeneric {
			return r.fail(obj, &failure{condType: meta.FetchFailedCondition, reason: UnsupportedFieldReason, stalled: true,
				err: fmt.Errorf("provider %s is not supported yet; use generic with secretRef", p)})
		}
	}
	opts, err := repository.OptionsFor(ctx, r.Client, obj)
	if err != nil {
		if errors.Is(err, repository.ErrInvalidURL) {
			return r.fail(obj, &failure{condType: meta.FetchFailedCondition, reason: meta.URLInvalidReason, stalled: true, err: err})
		}
		return r.fail(obj, &failure{condType: meta.FetchFailedCondition, reason: meta.AuthenticationFailedReason,
			err: fmt.Errorf("failed to configure Helm repository client: %w", err)})
	}
	opts.MaxIndexSize = r.MaxIndexSize

	if obj.IsOCI() {
		return r.reconcileOCI(ctx, obj, old, wasFailing)
	}

	// Check the recorded artifact is still on disk and advertised at the
	// current address.
	if a := obj.Status.Artifact; a != nil {
		if r.Storage.Exists(a) {
			a.URL = r.Storage.URL(a.Path)
			obj.Status.URL = a.URL
		} else {
			obj.Status.Artifact, obj.Status.URL = nil, ""
			status.Delete(obj, meta.ArtifactInStorageCondition)
			status.MarkReconciling(obj, meta.ProgressingReason, "building artifact: disappeared from storage")
		}
	}

	// Fetch the index; an unchanged one needs no new artifact.
	data, revision, err := repository.FetchIndex(ctx, opts)
	if err != nil {
		return r.fail(obj, fetchFailure(err, obj))
	}
	status.Delete(obj, meta.FetchFailedCondition)
	if obj.Status.Artifact.HasRevision(revision) {
		ctrl.LoggerFrom(ctx).V(1).Info("artifact up-to-date with remote revision", "revision", revision)
		r.succeed(obj, old, wasFailing)
		return nil
	}

	// Store the new index. As Flux, a stored artifact of another revision
	// is marked outdated until the new one is stored.
	message := fmt.Sprintf("new index revision '%s'", revision)
	if obj.Status.Artifact != nil {
		status.MarkTrue(obj, meta.ArtifactOutdatedCondition, meta.NewRevisionReason, "%s", message)
	}
	status.MarkReconciling(obj, meta.ProgressingReason, "building artifact: %s", message)
	if err := patcher.Patch(ctx, obj); err != nil {
		return err
	}
	a, err := r.Storage.StoreFile(sourcev1.HelmRepositoryKind, obj.Namespace, obj.Name, revision, "index.yaml", bytes.NewReader(data))
	if err != nil {
		reason := meta.ArchiveOperationFailedReason
		if errors.Is(err, artifact.ErrTooLarge) {
			reason = meta.StorageOperationFailedReason
		}
		return r.fail(obj, &failure{condType: meta.StorageOperationFailedCondition, reason: reason,
			err: fmt.Errorf("unable to save artifact to storage: %w", err)})
	}

	// Record the artifact and collect older ones.
	obj.Status.Artifact = a
	obj.Status.URL = a.URL
	if err := r.Storage.GC(sourcev1.HelmRepositoryKind, obj.Namespace, obj.Name, r.retention()); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "garbage collection of artifacts failed")
	}
	r.succeed(obj, old, wasFailing)
	ctrl.LoggerFrom(ctx).Info("stored artifact", "revision", a.Revision, "digest", a.Digest)
	return nil
}

// reconcileOCI marks a checked OCI HelmRepository Ready. It has no
// artifact: one left from an earlier type default is removed.
func (r *Reconciler) reconcileOCI(ctx context.Context, obj, old *sourcev1.HelmRepository, wasFailing bool) error {
	if obj.Status.Artifact != nil || obj.Status.URL != "" {
		if err := r.Storage.Remove(sourcev1.HelmRepositoryKind, obj.Namespace, obj.Name); err != nil {
			ctrl.LoggerFrom(ctx).Error(err, "removing the artifacts of a HelmRepository now of type oci failed")
		}
		obj.Status.Artifact, obj.Status.URL = nil, ""
	}
	for _, t := range []string{meta.FetchFailedCondition, meta.StorageOperationFailedCondition,
		meta.ArtifactOutdatedCondition, meta.ArtifactInStorageCondition, meta.StalledCondition} {
		status.Delete(obj, t)
	}
	status.MarkReady(obj, meta.SucceededReason, "%s", ReadyMessage)
	obj.Status.ObservedGeneration = obj.Generation
	if wasFailing || status.Get(old, meta.ReadyCondition) == nil {
		ctrl.LoggerFrom(ctx).Info(ReadyMessage)
	}
	if wasFailing {
		r.Events.Normal(obj, meta.SucceededReason, ReadyMessage, nil)
	}
	return nil
}

// succeed marks obj Ready for its artifact and emits the event Flux emits: a
// NewArtifact when the digest changed, a Succeeded when recovering from a
// failure.
func (r *Reconciler) succeed(obj, old *sourcev1.HelmRepository, wasFailing bool) {
	a := obj.Status.Artifact
	msg := fmt.Sprintf("stored artifact: revision '%s'", a.Revision)
	status.Delete(obj, meta.FetchFailedCondition)
	status.Delete(obj, meta.StorageOperationFailedCondition)
	status.Delete(obj, meta.ArtifactOutdatedCondition)
	status.MarkTrue(obj, meta.ArtifactInStorageCondition, meta.SucceededReason, "%s", msg)
	status.MarkReady(obj, meta.SucceededReason, "%s", msg)
	obj.Status.ObservedGeneration = obj.Generation

	var size int64
	if a.Size != nil {
		size = *a.Size
	}
	eventMsg := fmt.Sprintf("stored fetched index of size %s from '%s'", humanSize(size), obj.Spec.URL)
	metadata := map[string]string{events.MetaRevision: a.Revision, events.MetaDigest: a.Digest}
	switch {
	case !old.Status.Artifact.HasDigest(a.Digest):
		r.Events.Normal(obj, "NewArtifact", eventMsg, metadata)
	case wasFailing:
		r.Events.Normal(obj, meta.SucceededReason, eventMsg, metadata)
	}
}

// fail records f on obj: its condition, Ready=False with the same reason and
// message, Stalled or Reconciling (with retry), and a Warning event. It
// returns the outcome: Stalled for a misconfigured object, else a transient
// error that is retried with backoff. Messages come from the repository
// package, which keeps credentials out of them.
func (r *Reconciler) fail(obj *sourcev1.HelmRepository, f *failure) error {
	msg := f.err.Error()
	if f.condType != "" {
		status.MarkTrue(obj, f.condType, f.reason, "%s", msg)
	}
	status.MarkFalse(obj, meta.ReadyCondition, f.reason, "%s", msg)
	r.Events.Warning(obj, f.reason, msg, nil)
	err := errors.New(msg)
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

// fetchFailure classifies an error of FetchIndex with Flux's reasons:
// Failed for a download, IndexationFailed for an index that does not parse;
// ferry adds AuthenticationFailed for rejected or missing credentials.
func fetchFailure(err error, obj *sourcev1.HelmRepository) *failure {
	f := &failure{condType: meta.FetchFailedCondition, reason: meta.FailedReason,
		err: fmt.Errorf("failed to fetch Helm repository index: %w", err)}
	switch {
	case errors.Is(err, repository.ErrInvalidURL):
		f.reason, f.stalled, f.err = meta.URLInvalidReason, true, err
	case errors.Is(err, repository.ErrInvalidIndex):
		f.reason = sourcev1.IndexationFailedReason
		f.err = fmt.Errorf("failed to load Helm repository from index YAML: %w", err)
	case errors.Is(err, repository.ErrAuthentication):
		f.reason = meta.AuthenticationFailedReason
		if obj.Spec.SecretRef != nil {
			f.err = fmt.Errorf("%w: check the credentials of secret '%s/%s'", f.err, obj.Namespace, obj.Spec.SecretRef.Name)
		}
	case errors.Is(err, repository.ErrTooLarge):
		f.err = fmt.Errorf("%w: raise the controller's --helm-index-max-size to accept a larger index", f.err)
	case errors.Is(err, context.DeadlineExceeded):
		f.err = fmt.Errorf("%w (spec.timeout is %s)", f.err, obj.GetTimeout())
	}
	return f
}

// humanSize writes n bytes as Flux's events do (decimal units, "1.234kB").
func humanSize(n int64) string {
	units := []string{"B", "kB", "MB", "GB", "TB"}
	v, i := float64(n), 0
	for v >= 1000 && i < len(units)-1 {
		v /= 1000
		i++
	}
	s := fmt.Sprintf("%.4g", v)
	if strings.Contains(s, "e") {
		s = fmt.Sprintf("%.0f", v)
	}
	return s + units[i]
}
