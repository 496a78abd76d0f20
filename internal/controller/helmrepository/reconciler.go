package helmrepository

import (
	"context"
	"errors"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/artifact"
	"github.com/ferrycd/ferry/internal/events"
	"github.com/ferrycd/ferry/internal/reconcile"
	"github.com/ferrycd/ferry/internal/source"
)

// ControllerName names the controller in logs, metrics and as the source of
// events, like Flux's.
const ControllerName = "source-controller"

// DefaultArtifactRetention is how many index artifacts of one object the
// storage keeps when Reconciler.ArtifactRetention is not set: the current
// one and the one before, which a HelmChart may still be reading.
const DefaultArtifactRetention = 2

// Reconciler reconciles HelmRepository objects: the index of an HTTP
// repository into an artifact in Storage, an OCI one into a Ready condition.
type Reconciler struct {
	client.Client
	// Events records the events about HelmRepositories (Kubernetes Events
	// and the in-process bus); nil records none.
	Events *events.Recorder
	// Storage holds and serves the index artifacts.
	Storage *artifact.Storage
	// ArtifactRetention is how many artifacts per object survive garbage
	// collection; zero means DefaultArtifactRetention.
	ArtifactRetention int
	// MaxIndexSize bounds a downloaded index; zero means
	// repository.DefaultMaxIndexSize (50 MiB).
	MaxIndexSize int64
	// IntervalJitterPercentage spreads requeues over spec.interval ± this
	// percentage; zero means reconcile.DefaultJitterPercentage, negative
	// disables the jitter.
	IntervalJitterPercentage int
}

// Options tunes the controller SetupWithManager registers.
type Options struct {
	// MaxConcurrentReconciles is how many HelmRepositories reconcile at
	// once; zero means one.
	MaxConcurrentReconciles int
}

// SetupWithManager registers the reconciler with mgr. It reconciles when
// the spec changes (generation), when a reconcile is requested through the
// reconcile.fluxcd.io/requestedAt annotation, on deletion, and every
// spec.interval (with jitter).
func (r *Reconciler) SetupWithManager(_ context.Context, mgr ctrl.Manager, opts Options) error {
	if r.Storage == nil {
		return errors.New("helmrepository controller: artifact storage is required")
	}
	return ctrl.NewControllerManagedBy(mgr).
		For(&sourcev1.HelmRepository{}, builder.WithPredicates(
			predicate.Or(predicate.GenerationChangedPredicate{}, reconcile.ReconcileRequested{}, reconcile.Deleting{}),
		)).
		Named("helmrepository").
		WithOptions(reconcile.ControllerOptions(opts.MaxConcurrentReconciles)).
		Complete(r)
}

// Reconcile brings one HelmRepository to its desired state on the shared
// skeleton (internal/reconcile): the finalizer, the status finish and
// patch, metrics and suspend are handled there.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	s := &reconcile.Skeleton[*sourcev1.HelmRepository]{
		Client:           r.Client,
		Kind:             sourcev1.HelmRepositoryKind,
		Finalizer:        sourcev1.SourceFinalizer,
		New:              func() *sourcev1.HelmRepository { return &sourcev1.HelmRepository{} },
		Phases:           r.reconcile,
		Finalize:         source.RemoveArtifacts[*sourcev1.HelmRepository](r.Storage, r.Events, sourcev1.HelmRepositoryKind),
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
