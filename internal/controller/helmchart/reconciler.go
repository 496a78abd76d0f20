package helmchart

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/artifact"
	"github.com/ferrycd/ferry/internal/events"
	"github.com/ferrycd/ferry/internal/helm/repository"
	"github.com/ferrycd/ferry/internal/reconcile"
	"github.com/ferrycd/ferry/internal/source"
)

// ControllerName names the controller in logs, metrics and as the source of
// events, like Flux's.
const ControllerName = "source-controller"

const (
	// DefaultArtifactRetention is how many artifacts of one HelmChart the
	// storage keeps when Reconciler.ArtifactRetention is not set.
	DefaultArtifactRetention = 2
	// DefaultDependencyRequeueInterval is how soon a HelmChart whose
	// source has no artifact yet looks again.
	DefaultDependencyRequeueInterval = 30 * time.Second
	// defaultIndexCacheEntries bounds the private index cache of a
	// Reconciler without Indexes.
	defaultIndexCacheEntries = 16

	// sourceIndexKey indexes HelmCharts by "<kind>/<name>" of their
	// spec.sourceRef, Flux's key.
	sourceIndexKey = ".metadata.source"
)

// Reconciler reconciles HelmChart objects into packaged charts in Storage.
type Reconciler struct {
	client.Client
	// Events records the events about HelmCharts (Kubernetes Events and the
	// in-process bus); nil records none.
	Events *events.Recorder
	// Storage holds and serves the artifacts.
	Storage *artifact.Storage
	// Fetcher reads the sources' artifacts (indexes, trees); nil means one
	// on Storage.
	Fetcher *artifact.Fetcher
	// Indexes shares the parsed repository indexes, keyed by the index
	// artifact's digest; nil means a private cache.
	Indexes *repository.IndexCache
	// TempDir is where GitRepository artifacts are unpacked; empty means
	// the system temporary directory.
	TempDir string
	// ArtifactRetention is how many artifacts per object survive garbage
	// collection; zero means DefaultArtifactRetention.
	ArtifactRetention int
	// IntervalJitterPercentage spreads requeues over spec.interval ± this
	// percentage; zero means reconcile.DefaultJitterPercentage, negative
	// disables the jitter.
	IntervalJitterPercentage int
	// DependencyRequeueInterval is how soon a HelmChart whose source has
	// no artifact yet is retried; zero means DefaultDependencyRequeueInterval.
	DependencyRequeueInterval time.Duration

	initOnce  sync.Once
	artifacts *artifact.Cache
}

// Options tunes the controller SetupWithManager registers.
type Options struct {
	// MaxConcurrentReconciles is how many HelmCharts reconcile at once;
	// zero means one.
	MaxConcurrentReconciles int
}

// init fills the defaults of the optional fields.
func (r *Reconciler) init() {
	r.initOnce.Do(func() {
		if r.Fetcher == nil {
			r.Fetcher = &artifact.Fetcher{Storage: r.Storage}
		}
		if r.Indexes == nil {
			r.Indexes = repository.NewIndexCache(defaultIndexCacheEntries)
		}
		r.artifacts = artifact.NewCache(r.Fetcher, r.TempDir, 0)
	})
}

// SetupWithManager registers the reconciler with mgr. It reconciles when
// the spec changes (generation), when a reconcile is requested through the
// reconcile.fluxcd.io/requestedAt annotation, on deletion, when the
// HelmRepository or GitRepository it uses gets a new artifact, and every
// spec.interval (with jitter).
func (r *Reconciler) SetupWithManager(ctx context.Context, mgr ctrl.Manager, opts Options) error {
	if r.Storage == nil {
		return errors.New("helmchart controller: artifact storage is required")
	}
	r.init()
	// Remove the unpacked artifacts when the manager stops.
	if err := mgr.Add(r.artifacts); err != nil {
		return err
	}
	if err := mgr.GetFieldIndexer().IndexField(ctx, &sourcev1.HelmChart{}, sourceIndexKey, indexBySource); err != nil {
		return fmt.Errorf("helmchart controller: indexing sources: %w", err)
	}
	return ctrl.NewControllerManagedBy(mgr).
		For(&sourcev1.HelmChart{}, builder.WithPredicates(
			predicate.Or(predicate.GenerationChangedPredicate{}, reconcile.ReconcileRequested{}, reconcile.Deleting{}),
		)).
		// A new artifact of a source rebuilds the HelmCharts that use it.
		Watches(&sourcev1.HelmRepository{}, handler.EnqueueRequestsFromMapFunc(r.requestsForSource(sourcev1.HelmRepositoryKind)),
			builder.WithPredicates(reconcile.ArtifactChanged{})).
		Watches(&sourcev1.GitRepository{}, handler.EnqueueRequestsFromMapFunc(r.requestsForSource(sourcev1.GitRepositoryKind)),
			builder.WithPredicates(reconcile.ArtifactChanged{})).
		Watches(&sourcev1.Bucket{}, handler.EnqueueRequestsFromMapFunc(r.requestsForSource(sourcev1.BucketKind)),
			builder.WithPredicates(reconcile.ArtifactChanged{})).
		Named("helmchart").
		WithOptions(reconcile.ControllerOptions(opts.MaxConcurrentReconciles)).
		Complete(r)
}

// indexBySource indexes a HelmChart by "<kind>/<name>" of its source.
func indexBySource(o client.Object) []string {
	hc, ok := o.(*sourcev1.HelmChart)
	if !ok {
		return nil
	}
	return []string{hc.Spec.SourceRef.Kind + "/" + hc.Spec.SourceRef.Name}
}

// requestsForSource maps a source of kind to the HelmCharts in its
// namespace that use it and have not observed its current artifact.
func (r *Reconciler) requestsForSource(kind string) handler.MapFunc {
	return func(ctx context.Context, obj client.Object) []ctrl.Request {
		src, ok := obj.(sourcev1.Source)
		if !ok || src.GetArtifact() == nil {
			return nil
		}
		var list sourcev1.HelmChartList
		if err := r.List(ctx, &list, client.InNamespace(obj.GetNamespace()),
			client.MatchingFields{sourceIndexKey: kind + "/" + obj.GetName()}); err != nil {
			ctrl.LoggerFrom(ctx).Error(err, "listing the HelmCharts of a source", "source", kind+"/"+client.ObjectKeyFromObject(obj).String())
			return nil
		}
		var reqs []ctrl.Request
		for i := range list.Items {
			hc := &list.Items[i]
			if !src.GetArtifact().HasRevision(hc.Status.ObservedSourceArtifactRevision) {
				reqs = append(reqs, ctrl.Request{NamespacedName: client.ObjectKeyFromObject(hc)})
			}
		}
		return reqs
	}
}

// Reconcile brings one HelmChart to its desired state on the shared
// skeleton (internal/reconcile): the finalizer, the status finish and
// patch, metrics and suspend are handled there.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	r.init()
	s := &reconcile.Skeleton[*sourcev1.HelmChart]{
		Client:           r.Client,
		Kind:             sourcev1.HelmChartKind,
		Finalizer:        sourcev1.SourceFinalizer,
		New:              func() *sourcev1.HelmChart { return &sourcev1.HelmChart{} },
		Phases:           r.reconcile,
		Finalize:         source.RemoveArtifacts[*sourcev1.HelmChart](r.Storage, r.Events, sourcev1.HelmChartKind),
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

func (r *Reconciler) dependencyRequeue() time.Duration {
	if r.DependencyRequeueInterval > 0 {
		return r.DependencyRequeueInterval
	}
	return DefaultDependencyRequeueInterval
}
