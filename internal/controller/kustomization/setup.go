package kustomization

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/priorityqueue"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	ctrlsource "sigs.k8s.io/controller-runtime/pkg/source"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/apply"
	"github.com/ferrycd/ferry/internal/dependency"
	"github.com/ferrycd/ferry/internal/reconcile"
	"github.com/ferrycd/ferry/internal/source"
	"github.com/ferrycd/ferry/internal/status"
)

// Options configures the controller.
type Options struct {
	// MaxConcurrentReconciles is how many Kustomizations reconcile at once
	// (default 1).
	MaxConcurrentReconciles int
}

// SetupWithManager registers the controller with mgr. A Kustomization is
// reconciled when its generation or its reconcile.fluxcd.io/requestedAt
// annotation changes, when the source it uses (any of source.Kinds) gets an
// artifact of a new revision, when a Kustomization or HelmRelease it
// depends on becomes Ready (any of dependency.Kinds), and every
// spec.interval.
func (r *Reconciler) SetupWithManager(ctx context.Context, mgr ctrl.Manager, opts Options) error {
	if r.Fetcher == nil {
		return fmt.Errorf("the kustomization controller needs an artifact fetcher")
	}
	// Remove the unpacked artifacts when the manager stops.
	if err := mgr.Add(r.artifactCache()); err != nil {
		return err
	}
	if r.RESTConfig == nil {
		r.RESTConfig = mgr.GetConfig()
	}
	if r.APIReader == nil {
		r.APIReader = mgr.GetAPIReader()
	}
	// Health checks go on off the workers, from informers of their own.
	r.health = apply.NewWatcher(r.RESTConfig, mgr.GetRESTMapper())
	if err := mgr.Add(r.health); err != nil {
		return err
	}
	r.wakeups = make(chan event.GenericEvent, 1024)
	for _, k := range source.Kinds {
		if err := mgr.GetFieldIndexer().IndexField(ctx, &kustomizev1.Kustomization{}, k.IndexKey, indexBySource(k.Name)); err != nil {
			return fmt.Errorf("indexing Kustomizations by %s: %w", k.Name, err)
		}
	}
	deps := r.dependencies()
	if err := mgr.GetFieldIndexer().IndexField(ctx, &kustomizev1.Kustomization{}, dependency.IndexKey,
		deps.Index); err != nil {
		return fmt.Errorf("indexing Kustomizations by dependency: %w", err)
	}
	b := ctrl.NewControllerManagedBy(mgr).
		Named("kustomization").
		For(&kustomizev1.Kustomization{}, builder.WithPredicates(
			predicate.Or[client.Object](predicate.GenerationChangedPredicate{}, reconcile.ReconcileRequested{}),
		))
	// A source's artifact of a new revision reconciles the Kustomizations that use it.
	for _, k := range source.Kinds {
		b = b.Watches(k.New().(client.Object), r.revisionChangeHandler(k.IndexKey),
			builder.WithPredicates(reconcile.ArtifactChanged{}),
		)
	}
	// A Kustomization or HelmRelease that becomes Ready starts its dependents.
	for _, k := range dependency.Kinds {
		b = b.Watches(k.New(),
			handler.EnqueueRequestsFromMapFunc(deps.RequestsForDependents(k.GVK.Kind)),
			builder.WithPredicates(k.ReadyPredicate()),
		)
	}
	// A health check that ended enqueues its Kustomization.
	b = b.WatchesRawSource(ctrlsource.Channel(r.wakeups, &handler.EnqueueRequestForObject{}))
	return b.
		WithOptions(reconcile.ControllerOptions(opts.MaxConcurrentReconciles)).
		Complete(r)
}

// indexBySource returns the index function for sources of one kind.
func indexBySource(kind string) client.IndexerFunc {
	return func(o client.Object) []string {
		k, ok := o.(*kustomizev1.Kustomization)
		if !ok || k.Spec.SourceRef.Kind != kind {
			return nil
		}
		ns := k.Spec.SourceRef.Namespace
		if ns == "" {
			ns = k.Namespace
		}
		return []string{types.NamespacedName{Namespace: ns, Name: k.Spec.SourceRef.Name}.String()}
	}
}

// revisionChangeHandler enqueues the Kustomizations that use a source and
// have not yet reconciled its current revision; those whose last build
// read something the new artifact changes go first, at a higher priority
// (an item already queued, such as the requeue of the interval, keeps its
// place in line otherwise), so that what a commit changes is applied
// before the others record the revision.
func (r *Reconciler) revisionChangeHandler(indexKey string) handler.EventHandler {
	enqueue := func(ctx context.Context, obj client.Object, q workqueue.TypedRateLimitingInterface[ctrl.Request]) {
		changed, unchanged := r.requestsForRevisionChangeOf(ctx, indexKey, obj)
		if pq, ok := q.(priorityqueue.PriorityQueue[ctrl.Request]); ok {
			pq.AddWithOpts(priorityqueue.AddOpts{Priority: ptr.To(1)}, changed...)
		} else {
			for _, req := range changed {
				q.Add(req)
			}
		}
		for _, req := range unchanged {
			q.Add(req)
		}
	}
	return handler.Funcs{
		CreateFunc: func(ctx context.Context, e event.CreateEvent, q workqueue.TypedRateLimitingInterface[ctrl.Request]) {
			enqueue(ctx, e.Object, q)
		},
		UpdateFunc: func(ctx context.Context, e event.UpdateEvent, q workqueue.TypedRateLimitingInterface[ctrl.Request]) {
			enqueue(ctx, e.ObjectNew, q)
		},
	}
}

// requestsForRevisionChangeOf maps a source to the Kustomizations that use it
// and have not yet reconciled its current revision: those whose last build
// read something the new artifact changes (or that have no record of one),
// and the others (the artifact is unpacked here once, and shared with
// their reconciliations).
func (r *Reconciler) requestsForRevisionChangeOf(ctx context.Context, indexKey string, obj client.Object) (changed, unchanged []ctrl.Request) {
	src, ok := obj.(sourcev1.Source)
	if !ok || src.GetArtifact() == nil {
		return nil, nil
	}
	var list kustomizev1.KustomizationList
	if err := r.List(ctx, &list, client.MatchingFields{indexKey: client.ObjectKeyFromObject(obj).String()}); err != nil {
		log.FromContext(ctx).Error(err, "listing the Kustomizations of a source", "source", client.ObjectKeyFromObject(obj).String())
		return nil, nil
	}
	var dir string
	unpacked := true
	for i := range list.Items {
		k := &list.Items[i]
		if status.IsReady(k) && src.GetArtifact().HasRevision(k.Status.LastAttemptedRevision) {
			continue
		}
		req := ctrl.Request{NamespacedName: client.ObjectKeyFromObject(k)}
		v, ok := r.memory.inputs.Load(k.UID)
		if ok && dir == "" && unpacked {
			d, release, err := r.artifactCache().Acquire(ctx, src.GetArtifact())
			if unpacked = err == nil; unpacked {
				defer release()
				dir = d
			}
		}
		if !ok || !unpacked {
			changed = append(changed, req)
			continue
		}
		reads := v.(*inputs).reads
		if d, err := reads.Replay(dir); err == nil && d == reads.Digest() {
			unchanged = append(unchanged, req)
		} else {
			changed = append(changed, req)
		}
	}
	return changed, unchanged
}
