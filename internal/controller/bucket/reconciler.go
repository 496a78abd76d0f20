package bucket

import (
	"context"
	"errors"
	"sync"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/artifact"
	"github.com/ferrycd/ferry/internal/clientpool"
	"github.com/ferrycd/ferry/internal/events"
	"github.com/ferrycd/ferry/internal/reconcile"
	"github.com/ferrycd/ferry/internal/s3"
	"github.com/ferrycd/ferry/internal/source"
)

// ControllerName names the controller in logs, metrics and as the source of
// events, like Flux's.
const ControllerName = "source-controller"

// DefaultArtifactRetention is how many artifacts of one object the storage
// keeps when Reconciler.ArtifactRetention is not set.
const DefaultArtifactRetention = 2

// DefaultMaxObjects bounds the objects of one Bucket's artifact when
// Reconciler.MaxObjects is not set.
const DefaultMaxObjects = 50000

// Reconciler reconciles Bucket objects into artifacts in Storage.
type Reconciler struct {
	client.Client
	// Events records the events about Buckets; nil records none.
	Events *events.Recorder
	// Storage holds and serves the artifacts; its MaxArtifactSize also
	// bounds the total size of the objects downloaded.
	Storage *artifact.Storage
	// ArtifactRetention is how many artifacts per object survive garbage
	// collection; zero means DefaultArtifactRetention.
	ArtifactRetention int
	// MaxObjects bounds how many objects (after the ignore rules) one
	// Bucket's artifact holds; zero means DefaultMaxObjects.
	MaxObjects int
	// IntervalJitterPercentage spreads requeues over spec.interval ± this
	// percentage; zero means reconcile.DefaultJitterPercentage, negative
	// disables the jitter.
	IntervalJitterPercentage int

	// clients keeps an S3 client per endpoint and credentials: minio-go
	// remembers a bucket's region, looked up once instead of per reconcile.
	clientsOnce sync.Once
	clients     *clientpool.Pool[*s3.Client]
}

// pool returns the reconciler's S3 clients.
func (r *Reconciler) pool() *clientpool.Pool[*s3.Client] {
	r.clientsOnce.Do(func() { r.clients = clientpool.New(0, 0, (*s3.Client).Close) })
	return r.clients
}

// Options tunes the controller SetupWithManager registers.
type Options struct {
	// MaxConcurrentReconciles is how many Buckets reconcile at once; zero
	// means one.
	MaxConcurrentReconciles int
}

// SetupWithManager registers the reconciler with mgr. It reconciles when
// the spec changes (generation), when a reconcile is requested through the
// reconcile.fluxcd.io/requestedAt annotation, on deletion, and every
// spec.interval (with jitter).
func (r *Reconciler) SetupWithManager(_ context.Context, mgr ctrl.Manager, opts Options) error {
	if r.Storage == nil {
		return errors.New("bucket controller: artifact storage is required")
	}
	return ctrl.NewControllerManagedBy(mgr).
		For(&sourcev1.Bucket{}, builder.WithPredicates(
			predicate.Or(predicate.GenerationChangedPredicate{}, reconcile.ReconcileRequested{}, reconcile.Deleting{}),
		)).
		Named("bucket").
		WithOptions(reconcile.ControllerOptions(opts.MaxConcurrentReconciles)).
		Complete(r)
}

// Reconcile brings one Bucket to its desired state on the shared skeleton
// (internal/reconcile).
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	s := &reconcile.Skeleton[*sourcev1.Bucket]{
		Client:           r.Client,
		Kind:             sourcev1.BucketKind,
		Finalizer:        sourcev1.SourceFinalizer,
		New:              func() *sourcev1.Bucket { return &sourcev1.Bucket{} },
		Phases:           r.reconcile,
		Finalize:         source.RemoveArtifacts[*sourcev1.Bucket](r.Storage, r.Events, sourcev1.BucketKind),
		JitterPercentage: r.IntervalJitterPercentage,
	}
	return s.Reconcile(ctx, req)
}

func (r *Reconciler) retention() int {
	if r.ArtifactRetention > 0 {
		return r.ArtifactRetention
	}
	return DefaultArtifactRetention
}

func (r *Reconciler) maxObjects() int {
	if r.MaxObjects > 0 {
		return r.MaxObjects
	}
	return DefaultMaxObjects
}
