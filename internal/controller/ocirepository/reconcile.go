package ocirepository

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/artifact"
	"github.com/ferrycd/ferry/internal/events"
	"github.com/ferrycd/ferry/internal/oci"
	"github.com/ferrycd/ferry/internal/source"
	"github.com/ferrycd/ferry/internal/status"
)

// Flux's annotations of an artifact pushed with `flux push artifact`,
// which the NewArtifact event quotes.
const (
	sourceAnnotation   = "org.opencontainers.image.source"
	revisionAnnotation = "org.opencontainers.image.revision"
)

// reconcile runs the phases: resolve the spec, ask the registry for the
// digest, pull, store. Its error is the outcome (see internal/reconcile).
func (r *Reconciler) reconcile(ctx context.Context, obj *sourcev1.OCIRepository, patcher *status.Patcher) error {
	log := ctrl.LoggerFrom(ctx)
	old := obj.DeepCopy()
	wasFailing := source.Begin(obj, obj.Status.ObservedGeneration)
	source.KeepStored(obj, r.Storage, &obj.Status.Artifact, &obj.Status.URL)

	// Refuse what ferry does not implement before any request.
	if f := unsupported(obj); f != nil {
		return r.fail(obj, f)
	}
	client, repo, f := r.client(ctx, obj)
	if f != nil {
		return r.fail(obj, f)
	}

	// Resolve the reference to a digest: one HEAD of the manifest (none
	// for a digest); the pull is skipped when the artifact has it.
	timeout, cancel := context.WithTimeout(ctx, obj.GetTimeout())
	defer cancel()
	resolved, err := client.Resolve(timeout, repo, refOf(obj))
	if err != nil {
		return r.fail(obj, timedOut(pullFailure(obj, err), timeout, obj.GetTimeout()))
	}
	revision := resolved.Revision()
	if obj.Status.Artifact.HasRevision(revision) && obj.Generation == obj.Status.ObservedGeneration && !contentChanged(obj) && verified(obj) {
		log.V(1).Info("artifact up-to-date with remote revision", "revision", revision)
		r.succeed(obj, old, wasFailing, nil)
		return nil
	}

	if a := obj.Status.Artifact; a != nil && !a.HasRevision(revision) {
		status.MarkTrue(obj, meta.ArtifactOutdatedCondition, "NewRevision", "new revision '%s' for '%s'", revision, obj.Spec.URL)
	}
	status.MarkReconciling(obj, meta.ProgressingReason, "building artifact: new revision '%s' for '%s'", revision, obj.Spec.URL)
	if err := patcher.Patch(ctx, obj); err != nil {
		return err
	}

	// Verify the signature spec.verify asks for before anything is
	// pulled: nothing unverified is stored, the previous artifact stays.
	if f := r.verify(timeout, obj, client, repo, resolved); f != nil {
		return r.fail(obj, f)
	}

	// Pull the manifest and the selected layer, bounded by the storage's
	// maximum artifact size.
	pulled, err := client.Pull(timeout, repo, resolved.Digest, obj.GetLayerMediaType(), r.Storage.MaxArtifactSize())
	if err != nil {
		return r.fail(obj, timedOut(pullFailure(obj, err), timeout, obj.GetTimeout()))
	}
	status.Delete(obj, meta.FetchFailedCondition)
	a, f := r.store(obj, revision, pulled)
	if f != nil {
		return r.fail(obj, timedOut(f, timeout, obj.GetTimeout()))
	}
	a.Metadata = pulled.Annotations
	obj.Status.Artifact = a
	obj.Status.URL = a.URL
	obj.Status.ObservedIgnore = obj.Spec.Ignore
	obj.Status.ObservedLayerSelector = obj.Spec.LayerSelector.DeepCopy()
	if err := r.Storage.GC(sourcev1.OCIRepositoryKind, obj.Namespace, obj.Name, r.retention()); err != nil {
		log.Error(err, "garbage collection of artifacts failed")
	}
	r.succeed(obj, old, wasFailing, pulled.Annotations)
	log.Info("stored artifact", "revision", a.Revision, "digest", a.Digest)
	return nil
}

// verified reports whether obj's stored artifact needs no verification:
// spec.verify is unset, or its signature was verified (a failed one is
// verified again at the next reconcile).
func verified(obj *sourcev1.OCIRepository) bool {
	if obj.Spec.Verify == nil {
		return true
	}
	c := status.Get(obj, meta.SourceVerifiedCondition)
	return c != nil && c.Status == metav1.ConditionTrue
}

// verify checks the cosign signature of the resolved digest against the
// public keys of spec.verify.secretRef (unsupported has refused every
// other kind of verification) and records SourceVerified.
func (r *Reconciler) verify(ctx context.Context, obj *sourcev1.OCIRepository, client *oci.Client, repo name.Repository, resolved oci.Resolved) *source.Failure {
	v := obj.Spec.Verify
	if v == nil {
		status.Delete(obj, meta.SourceVerifiedCondition)
		return nil
	}
	fail := func(err error) *source.Failure {
		err = fmt.Errorf("failed to verify the signature using provider '%s': %w", v.Provider, err)
		status.MarkFalse(obj, meta.SourceVerifiedCondition, meta.VerificationError, "%s", err.Error())
		return &source.Failure{Reason: meta.VerificationError, Err: err}
	}
	secret, err := r.secret(ctx, obj.Namespace, v.SecretRef.Name)
	if err != nil {
		return fail(err)
	}
	keys, err := oci.PublicKeys(secret.Data)
	if err != nil {
		return fail(fmt.Errorf("secret '%s/%s': %w", secret.Namespace, secret.Name, err))
	}
	key, err := client.VerifyCosign(ctx, repo, resolved.Digest, keys)
	if err != nil {
		return fail(err)
	}
	status.MarkTrue(obj, meta.SourceVerifiedCondition, meta.SucceededReason,
		"verified signature of revision %s with key '%s' of secret '%s'", resolved.Revision(), key, v.SecretRef.Name)
	return nil
}

// store turns the pulled layer into the artifact: extracted, filtered by
// spec.ignore and the .sourceignore files and archived again, or copied as
// it is (layerSelector.operation: copy).
func (r *Reconciler) store(obj *sourcev1.OCIRepository, revision string, pulled *oci.Artifact) (*meta.Artifact, *source.Failure) {
	layerFailure := func(err error) *source.Failure {
		return &source.Failure{CondType: meta.FetchFailedCondition, Reason: sourcev1.OCILayerOperationFailedReason, Err: err}
	}
	storageFailure := func(err error) *source.Failure {
		return &source.Failure{CondType: meta.StorageOperationFailedCondition, Reason: meta.ArchiveOperationFailedReason, Err: err}
	}
	digest, err := pulled.Layer.Digest()
	if err != nil {
		return nil, layerFailure(fmt.Errorf("failed to read the digest of a layer of '%s': %w", obj.Spec.URL, err))
	}
	// The layer is downloaded as it is read: a failed read is a failed
	// download (the registry closed the connection, stalled past
	// spec.timeout, or sent other bytes than the digest's), not a bad
	// layer.
	downloadFailure := func(err error) *source.Failure {
		return &source.Failure{CondType: meta.FetchFailedCondition, Reason: sourcev1.OCIPullFailedReason,
			Err: fmt.Errorf("failed to download layer %s from '%s': %w", digest, obj.Spec.URL, err)}
	}
	opened, err := pulled.Open(r.Storage.MaxArtifactSize())
	if err != nil {
		return nil, downloadFailure(err)
	}
	defer opened.Close()
	rc := &downloadReader{Reader: opened}
	if obj.GetLayerOperation() == sourcev1.OCILayerCopy {
		a, err := r.Storage.StoreFile(sourcev1.OCIRepositoryKind, obj.Namespace, obj.Name, revision, "layer.tgz", rc)
		if rc.err != nil {
			return nil, downloadFailure(rc.err)
		}
		if err != nil {
			return nil, storageFailure(fmt.Errorf("failed to store layer from '%s': %w", obj.Spec.URL, err))
		}
		return a, nil
	}
	tmp, err := os.MkdirTemp("", fmt.Sprintf("ocirepository-%s-%s-", obj.Namespace, obj.Name))
	if err != nil {
		return nil, &source.Failure{CondType: meta.StorageOperationFailedCondition, Reason: meta.DirCreationFailedReason,
			Err: fmt.Errorf("failed to create temporary working directory: %w", err)}
	}
	defer os.RemoveAll(tmp)
	if err := artifact.Untar(rc, tmp, artifact.UntarOptions{MaxSize: r.Storage.MaxArtifactSize()}); err != nil {
		if rc.err != nil {
			return nil, downloadFailure(rc.err)
		}
		return nil, layerFailure(fmt.Errorf("failed to extract layer %s (%s) from '%s': %w", digest, pulled.LayerMediaType, obj.Spec.URL, err))
	}
	filter, err := artifact.IgnoreFilter(tmp, obj.Spec.Ignore)
	if err != nil {
		return nil, storageFailure(fmt.Errorf("failed to read the ignore patterns: %w", err))
	}
	a, err := r.Storage.Archive(sourcev1.OCIRepositoryKind, obj.Namespace, obj.Name, revision, tmp, artifact.WithFilter(filter))
	if err != nil {
		return nil, storageFailure(fmt.Errorf("failed to archive the content of '%s': %w", obj.Spec.URL, err))
	}
	return a, nil
}

// downloadReader remembers the first error reading from the registry, so
// that a failed download is told from a layer that does not extract.
type downloadReader struct {
	io.Reader
	err error
}

func (d *downloadReader) Read(p []byte) (int, error) {
	n, err := d.Reader.Read(p)
	if err != nil && err != io.EOF && d.err == nil {
		d.err = err
	}
	return n, err
}

// contentChanged reports whether the artifact must be rebuilt although the
// digest is unchanged: spec.ignore or spec.layerSelector differ from what it
// was built with.
func contentChanged(obj *sourcev1.OCIRepository) bool {
	if !reflect.DeepEqual(obj.Status.ObservedIgnore, obj.Spec.Ignore) {
		return true
	}
	return !reflect.DeepEqual(obj.Status.ObservedLayerSelector, obj.Spec.LayerSelector)
}

func refOf(obj *sourcev1.OCIRepository) oci.Ref {
	ref := obj.Spec.Reference
	if ref == nil {
		return oci.Ref{}
	}
	return oci.Ref{Digest: ref.Digest, SemVer: ref.SemVer, SemverFilter: ref.SemverFilter, Tag: ref.Tag}
}

// succeed marks obj Ready for its artifact and emits Flux's events: a
// NewArtifact when the digest changed (annotations are the pulled
// manifest's), a Succeeded when recovering from a failure.
func (r *Reconciler) succeed(obj, old *sourcev1.OCIRepository, wasFailing bool, annotations map[string]string) {
	a := obj.Status.Artifact
	msg := fmt.Sprintf("stored artifact for digest '%s'", a.Revision)
	for _, c := range []string{meta.FetchFailedCondition, meta.StorageOperationFailedCondition, meta.ArtifactOutdatedCondition} {
		status.Delete(obj, c)
	}
	status.MarkTrue(obj, meta.ArtifactInStorageCondition, meta.SucceededReason, "%s", msg)
	status.MarkReady(obj, meta.SucceededReason, "%s", msg)
	obj.Status.ObservedGeneration = obj.Generation

	eventMsg := fmt.Sprintf("stored artifact with revision '%s' from '%s'", a.Revision, obj.Spec.URL)
	if src, rev := annotations[sourceAnnotation], annotations[revisionAnnotation]; src != "" && rev != "" {
		eventMsg += fmt.Sprintf(", origin source '%s', origin revision '%s'", src, rev)
	}
	metadata := map[string]string{events.MetaRevision: a.Revision, events.MetaDigest: a.Digest}
	switch {
	case !old.Status.Artifact.HasDigest(a.Digest):
		r.Events.Normal(obj, "NewArtifact", eventMsg, metadata)
	case wasFailing:
		r.Events.Normal(obj, meta.SucceededReason, msg, metadata)
	}
}

func (r *Reconciler) fail(obj *sourcev1.OCIRepository, f *source.Failure) error {
	return source.Fail(obj, r.Events, f, nil)
}

// timedOut names the limit a failure hit when ctx, the reconcile's
// spec.timeout, ran out, so the message says which setting bounds it.
func timedOut(f *source.Failure, ctx context.Context, timeout time.Duration) *source.Failure {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		f.Err = fmt.Errorf("%w (spec.timeout is %s)", f.Err, timeout)
	}
	return f
}

// pullFailure classifies an error of the oci package. What the spec
// cannot fix stalls; the registry's answers are retried: ErrPlainHTTP too,
// which follows an HTTPS request answered in plain HTTP (the registry
// client then tries plain HTTP, which spec.insecure: false refuses), as
// the registry may have answered in HTTPS before and may again.
func pullFailure(obj *sourcev1.OCIRepository, err error) *source.Failure {
	f := &source.Failure{CondType: meta.FetchFailedCondition, Reason: sourcev1.OCIPullFailedReason, Err: err}
	switch {
	case errors.Is(err, oci.ErrInvalidURL):
		f.Reason, f.Stalled = meta.URLInvalidReason, true
	case errors.Is(err, oci.ErrInvalidReference):
		f.Stalled = true
	case errors.Is(err, oci.ErrAuthentication):
		f.Reason = meta.AuthenticationFailedReason
		hint := "the registry requires credentials: set spec.secretRef to a Docker config secret (kubectl create secret docker-registry)"
		if obj.Spec.SecretRef != nil || obj.Spec.ServiceAccountName != "" {
			hint = "the registry rejected the credentials of spec.secretRef or spec.serviceAccountName"
		}
		f.Err = fmt.Errorf("%w: %s", err, hint)
	}
	return f
}
