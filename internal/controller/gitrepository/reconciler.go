package gitrepository

import (
	"context"
	"errors"
	"fmt"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
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

// DefaultArtifactRetention is how many artifacts of one object the storage
// keeps when Reconciler.ArtifactRetention is not set: the current one and
// the one before, which a consumer may still be fetching.
const DefaultArtifactRetention = 2

// Reconciler reconciles GitRepository objects into artifacts in Storage.
type Reconciler struct {
	client.Client
	// Events records the events about GitRepositories (Kubernetes Events and
	// the in-process bus); nil records none.
	Events *events.Recorder
	// Storage holds and serves the artifacts.
	Storage *artifact.Storage
	// ArtifactRetention is how many artifacts per object survive garbage
	// collection; zero means DefaultArtifactRetention.
	ArtifactRetention int
	// MaxCheckoutSize bounds the bytes a checkout (with .git and the
	// included artifacts) may take on disk; zero means
	// DefaultMaxCheckoutSize. The artifact is bounded by Storage.MaxSize.
	MaxCheckoutSize int64
	// IntervalJitterPercentage spreads requeues over spec.interval ± this
	// percentage; zero means reconcile.DefaultJitterPercentage, negative
	// disables the jitter.
	IntervalJitterPercentage int
	// DependencyRequeueInterval is how soon a GitRepository waiting for an
	// included one is retried; zero means DefaultDependencyRequeueInterval.
	DependencyRequeueInterval time.Duration
}

// Options tunes the controller SetupWithManager registers.
type Options struct {
	// MaxConcurrentReconciles is how many GitRepositories reconcile at
	// once; zero means one.
	MaxConcurrentReconciles int
}

// SetupWithManager registers the reconciler with mgr. It reconciles when
// the spec changes (generation), when a reconcile is requested through the
// reconcile.fluxcd.io/requestedAt annotation, on deletion, when an included
// GitRepository gets a new artifact, and every spec.interval (with jitter).
func (r *Reconciler) SetupWithManager(ctx context.Context, mgr ctrl.Manager, opts Options) error {
	if r.Storage == nil {
		return errors.New("gitrepository controller: artifact storage is required")
	}
	if err := mgr.GetFieldIndexer().IndexField(ctx, &sourcev1.GitRepository{}, includeIndexKey, indexIncludes); err != nil {
		return fmt.Errorf("gitrepository controller: indexing includes: %w", err)
	}
	includers := reconcile.RequestsFromIndex(mgr.GetClient(), func() client.ObjectList { return &sourcev1.GitRepositoryList{} }, includeIndexKey)
	return ctrl.NewControllerManagedBy(mgr).
		For(&sourcev1.GitRepository{}, builder.WithPredicates(
			predicate.Or(predicate.GenerationChangedPredicate{}, reconcile.ReconcileRequested{}, reconcile.Deleting{}),
		)).
		// A new artifact of an included GitRepository rebuilds its includers.
		Watches(&sourcev1.GitRepository{}, handler.EnqueueRequestsFromMapFunc(includers),
			builder.WithPredicates(reconcile.ArtifactChanged{Lifecycle: true})).
		Named("gitrepository").
		WithOptions(reconcile.ControllerOptions(opts.MaxConcurrentReconciles)).
		Complete(r)
}

// Reconcile brings one GitRepository to its desired state on the shared
// skeleton (internal/reconcile): the finalizer, the status finish and
// patch, metrics and suspend are handled there.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	s := &reconcile.Skeleton[*sourcev1.GitRepository]{
		Client:           r.Client,
		Kind:             sourcev1.GitRepositoryKind,
		Finalizer:        sourcev1.SourceFinalizer,
		New:              func() *sourcev1.GitRepository { return &sourcev1.GitRepository{} },
		Phases:           r.reconcile,
		Finalize:         source.RemoveArtifacts[*sourcev1.GitRepository](r.Storage, r.Events, sourcev1.GitRepositoryKind),
		JitterPercentage: r.IntervalJitterPercentage,
	}
	return s.Reconcile(ctx, req)
}
