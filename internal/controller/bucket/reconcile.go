package bucket

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"reflect"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/artifact"
	"github.com/ferrycd/ferry/internal/events"
	"github.com/ferrycd/ferry/internal/s3"
	"github.com/ferrycd/ferry/internal/source"
	"github.com/ferrycd/ferry/internal/status"
)

// maxIgnoreFileSize bounds the .sourceignore object read.
const maxIgnoreFileSize = 1 << 20

// concurrentDownloads is how many objects of one Bucket download at once.
const concurrentDownloads = 4

// reconcile runs the phases: resolve the spec, list the bucket into the
// index whose digest is the revision, download and store when that
// revision is new. Its error is the outcome (see internal/reconcile).
func (r *Reconciler) reconcile(ctx context.Context, obj *sourcev1.Bucket, patcher *status.Patcher) error {
	log := ctrl.LoggerFrom(ctx)
	old := obj.DeepCopy()
	wasFailing := source.Begin(obj, obj.Status.ObservedGeneration)
	source.KeepStored(obj, r.Storage, &obj.Status.Artifact, &obj.Status.URL)

	// Refuse what ferry does not implement before any request.
	if f := unsupported(obj); f != nil {
		return r.fail(obj, f)
	}
	client, f := r.client(ctx, obj)
	if f != nil {
		return r.fail(obj, f)
	}

	timeout, cancel := context.WithTimeout(ctx, obj.GetTimeout())
	defer cancel()
	ix, total, f := r.index(timeout, client, obj)
	if f != nil {
		return r.fail(obj, timedOut(f, timeout, obj.GetTimeout()))
	}
	revision := ix.revision()
	if obj.Status.Artifact.HasRevision(revision) && obj.Generation == obj.Status.ObservedGeneration &&
		reflect.DeepEqual(obj.Status.ObservedIgnore, obj.Spec.Ignore) {
		log.V(1).Info("artifact up-to-date with remote revision", "revision", revision)
		r.succeed(obj, old, wasFailing, len(ix))
		return nil
	}

	msg := fmt.Sprintf("new upstream revision '%s'", revision)
	if a := obj.Status.Artifact; a != nil && !a.HasRevision(revision) {
		status.MarkTrue(obj, meta.ArtifactOutdatedCondition, meta.NewRevisionReason, "%s", msg)
	}
	status.MarkReconciling(obj, meta.ProgressingReason, "building artifact: %s", msg)
	if err := patcher.Patch(ctx, obj); err != nil {
		return err
	}

	if max := r.Storage.MaxArtifactSize(); total > max {
		return r.fail(obj, &source.Failure{CondType: meta.FetchFailedCondition, Reason: sourcev1.BucketOperationFailedReason,
			Err: fmt.Errorf("the %d objects of bucket '%s' under prefix '%s' total %d bytes, more than the maximum artifact size of %d bytes: nothing was downloaded",
				len(ix), obj.Spec.BucketName, obj.Spec.Prefix, total, max)})
	}
	tmp, err := os.MkdirTemp("", fmt.Sprintf("bucket-%s-%s-", obj.Namespace, obj.Name))
	if err != nil {
		return r.fail(obj, &source.Failure{CondType: meta.StorageOperationFailedCondition, Reason: meta.DirCreationFailedReason,
			Err: fmt.Errorf("failed to create temporary working directory: %w", err)})
	}
	defer os.RemoveAll(tmp)
	if f := r.download(timeout, client, obj, ix, tmp); f != nil {
		return r.fail(obj, timedOut(f, timeout, obj.GetTimeout()))
	}
	// An object rewritten or deleted since the listing changed the index.
	revision = ix.revision()
	status.Delete(obj, meta.FetchFailedCondition)

	a, err := r.Storage.Archive(sourcev1.BucketKind, obj.Namespace, obj.Name, revision, tmp)
	if err != nil {
		return r.fail(obj, &source.Failure{CondType: meta.StorageOperationFailedCondition, Reason: meta.ArchiveOperationFailedReason,
			Err: fmt.Errorf("unable to archive artifact to storage: %w", err)})
	}
	obj.Status.Artifact = a
	obj.Status.URL = a.URL
	obj.Status.ObservedIgnore = obj.Spec.Ignore
	if err := r.Storage.GC(sourcev1.BucketKind, obj.Namespace, obj.Name, r.retention()); err != nil {
		log.Error(err, "garbage collection of artifacts failed")
	}
	r.succeed(obj, old, wasFailing, len(ix))
	log.Info("stored artifact", "revision", a.Revision, "digest", a.Digest, "objects", len(ix))
	return nil
}

// index confirms the bucket exists, reads its root .sourceignore, and
// lists the objects under spec.prefix into the index of what goes into
// the artifact, with its total size.
func (r *Reconciler) index(ctx context.Context, client *s3.Client, obj *sourcev1.Bucket) (index, int64, *source.Failure) {
	name := obj.Spec.BucketName
	exists, err := client.BucketExists(ctx, name)
	if err != nil {
		return nil, 0, bucketFailure(obj, fmt.Errorf("failed to confirm existence of '%s' bucket: %w", name, err))
	}
	if !exists {
		return nil, 0, &source.Failure{CondType: meta.FetchFailedCondition, Reason: sourcev1.BucketOperationFailedReason,
			Err: fmt.Errorf("bucket '%s' not found at endpoint '%s'", name, obj.Spec.Endpoint)}
	}
	var ignore bytes.Buffer
	if _, _, err := client.Get(ctx, name, artifact.IgnoreFile, &ignore, maxIgnoreFileSize); err != nil && !errors.Is(err, s3.ErrNotFound) {
		return nil, 0, bucketFailure(obj, fmt.Errorf("failed to get '%s' object: %w", artifact.IgnoreFile, err))
	}
	objs, err := client.List(ctx, name, obj.Spec.Prefix, r.maxObjects())
	if err != nil {
		return nil, 0, bucketFailure(obj, fmt.Errorf("indexation of objects from bucket '%s' failed: %w", name, err))
	}
	ix, total, err := buildIndex(name, objs, ignoreMatcher(ignore.String(), obj.Spec.Ignore))
	if err != nil {
		return nil, 0, &source.Failure{CondType: meta.FetchFailedCondition, Reason: meta.InvalidPathReason, Err: err}
	}
	return ix, total, nil
}

// download writes every object of ix below dir, through an os.Root so
// that no write leaves it, at most the storage's maximum artifact size in
// total. An object deleted since the listing leaves the index; one
// rewritten gets the ETag it was downloaded with, as in Flux.
func (r *Reconciler) download(ctx context.Context, client *s3.Client, obj *sourcev1.Bucket, ix index, dir string) *source.Failure {
	fail := func(err error) *source.Failure {
		return bucketFailure(obj, fmt.Errorf("fetch from bucket '%s' failed: %w", obj.Spec.BucketName, err))
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return fail(err)
	}
	defer root.Close()
	max := r.Storage.MaxArtifactSize()
	var used atomic.Int64
	var mu sync.Mutex
	keys := make([]string, 0, len(ix))
	for k := range ix {
		keys = append(keys, k)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(concurrentDownloads)
	for _, key := range keys {
		g.Go(func() error {
			if d := path.Dir(key); d != "." {
				if err := root.MkdirAll(d, 0o755); err != nil {
					return fmt.Errorf("object '%s': %w", key, err)
				}
			}
			f, err := root.OpenFile(key, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
			if err != nil {
				if errors.Is(err, fs.ErrExist) {
					return fmt.Errorf("object '%s' conflicts with another object's path", key)
				}
				return fmt.Errorf("object '%s': %w", key, err)
			}
			w := &budgetWriter{w: f, used: &used, max: max}
			etag, _, err := client.Get(gctx, obj.Spec.BucketName, key, w, max)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			mu.Lock()
			defer mu.Unlock()
			switch {
			case errors.Is(err, s3.ErrNotFound):
				ctrl.LoggerFrom(ctx).Info(fmt.Sprintf("indexed object '%s' disappeared from '%s' bucket", key, obj.Spec.BucketName))
				delete(ix, key)
				return root.Remove(key)
			case err != nil:
				return fmt.Errorf("failed to get '%s' object: %w", key, err)
			case etag != ix[key]:
				ix[key] = etag
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		if errors.Is(err, artifact.ErrTooLarge) {
			err = fmt.Errorf("%w: the objects total more than the maximum artifact size of %d bytes", err, max)
		}
		return fail(err)
	}
	return nil
}

// budgetWriter fails with artifact.ErrTooLarge once the bytes written by
// all the downloads of one reconcile pass max.
type budgetWriter struct {
	w    io.Writer
	used *atomic.Int64
	max  int64
}

func (b *budgetWriter) Write(p []byte) (int, error) {
	if b.used.Add(int64(len(p))) > b.max {
		return 0, artifact.ErrTooLarge
	}
	return b.w.Write(p)
}

// succeed marks obj Ready for its artifact and emits Flux's events: a
// NewArtifact when the artifact changed, a Succeeded when recovering from
// a failure.
func (r *Reconciler) succeed(obj, old *sourcev1.Bucket, wasFailing bool, files int) {
	a := obj.Status.Artifact
	msg := fmt.Sprintf("stored artifact: revision '%s'", a.Revision)
	for _, c := range []string{meta.FetchFailedCondition, meta.StorageOperationFailedCondition, meta.ArtifactOutdatedCondition} {
		status.Delete(obj, c)
	}
	status.MarkTrue(obj, meta.ArtifactInStorageCondition, meta.SucceededReason, "%s", msg)
	status.MarkReady(obj, meta.SucceededReason, "%s", msg)
	obj.Status.ObservedGeneration = obj.Generation

	eventMsg := fmt.Sprintf("stored artifact with %d fetched files from '%s' bucket", files, obj.Spec.BucketName)
	metadata := map[string]string{events.MetaRevision: a.Revision, events.MetaDigest: a.Digest}
	switch {
	case !old.Status.Artifact.HasDigest(a.Digest):
		r.Events.Normal(obj, "NewArtifact", eventMsg, metadata)
	case wasFailing:
		r.Events.Normal(obj, meta.SucceededReason, eventMsg, metadata)
	}
}

// timedOut names the limit a failure hit when ctx, the reconcile's
// spec.timeout, ran out, so the message says which setting bounds it.
func timedOut(f *source.Failure, ctx context.Context, timeout time.Duration) *source.Failure {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		f.Err = fmt.Errorf("%w (spec.timeout is %s)", f.Err, timeout)
	}
	return f
}

func (r *Reconciler) fail(obj *sourcev1.Bucket, f *source.Failure) error {
	return source.Fail(obj, r.Events, f, nil)
}
