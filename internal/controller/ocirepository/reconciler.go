package ocirepository

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
	"github.com/ferrycd/ferry/internal/oci"
	"github.com/ferrycd/ferry/internal/reconcile"
	"github.com/ferrycd/ferry/internal/source"
)

// ControllerName names the controller in logs, metrics and as the source of
// events, like Flux's.
const ControllerName = "source-controller"

// DefaultArtifactRetention is how many artifacts of one object the storage
// keeps when Reconciler.ArtifactRetention is not set.
const DefaultArtifactRetention = 2

// Reconciler reconciles OCIRepository objects into artifacts in Storage.
type Reconciler struct {
	client.Client
	// Events records the events about OCIRepositories; nil records none.
	Events *events.Recorder
	// Storage holds and serves the artifacts; its MaxSize also bounds the
	// layer pulled.
	Storage *artifact.Storage
	// ArtifactRetention is how many artifacts per object survive garbage
	// collection; zero means DefaultArtifactRetention.
	ArtifactRetention int
	// IntervalJitterPercentage spreads requeues over spec.interval ± this
	// percentage; zero means reconcile.DefaultJitterPercentage, negative
	// disables the jitter.
	IntervalJitterPercentage int

	// clients keeps a registry client per registry and credentials.
	clientsOnce sync.Once
	clients     *clientpool.Pool[*oci.Client]
}

// pool returns the reconciler's registry clients.
func (r *Reconciler) pool() *clientpool.Pool[*oci.Client] {
	r.clientsOnce.Do(func() { r.clients = clientpool.New(0, 0, (*oci.Client).Close) })
	return r.clients
}

// Options tunes the controller SetupWithManager registers.
type Options struct {
	// MaxConcurrentReconciles is how many OCIRepositories reconcile at
	// once; zero means one.
	MaxConcurrentReconciles int
}

// SetupWithManager registers the reconciler with mgr. It reconciles when
// the spec changes (generation), when a reconcile is requested through the
// reconcile.fluxcd.io/requestedAt annotation, on deletion, and every
// spec.interval (with jitter).
func (r *Reconciler) SetupWithManager(_ context.Context, mgr ctrl.Manager, opts Options) error {
	if r.Storage == nil {
		return errors.New("ocirepository controller: artifact storage is required")
	}
	return ctrl.NewControllerManagedBy(mgr).
		For(&sourcev1.OCIRepository{}, builder.WithPredicates(
			predicate.Or(predicate.GenerationChangedPredicate{}, reconcile.ReconcileRequested{}, reconcile.Deleting{}),
		)).
		Named("ocirepository").
		WithOptions(reconcile.ControllerOptions(opts.MaxConcurrentReconciles)).
		Complete(r)
}

// Reconcile brings one OCIRepository to its desired state on the shared
// skeleton (internal/reconcile).
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	s := &reconcile.Skeleton[*sourcev1.OCIRepository]{
		Client:           r.Client,
		Kind:             sourcev1.OCIRepositoryKind,
		Finalizer:        sourcev1.SourceFinalizer,
		New:              func() *sourcev1.OCIRepository { return &sourcev1.OCIRepository{} },
		Phases:           r.reconcile,
		Finalize:         source.RemoveArtifacts[*sourcev1.OCIRepository](r.Storage, r.Events, sourcev1.OCIRepositoryKind),
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
