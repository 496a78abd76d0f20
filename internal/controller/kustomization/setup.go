package kustomization

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
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
		b = b.Watches(k.New().(client.Object),
			handler.EnqueueRequestsFromMapFunc(r.requestsForRevisionChangeOf(k.IndexKey)),
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
		WithOptions(controller.Options{MaxConcurrentReconciles: opts.MaxConcurrentReconciles}).
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

// requestsForRevisionChangeOf maps a source to the Kustomizations that use it
// and have not yet reconciled its current revision.
func (r *Reconciler) requestsForRevisionChangeOf(indexKey string) handler.MapFunc {
	return func(ctx context.Context, obj client.Object) []ctrl.Request {
		src, ok := obj.(sourcev1.Source)
		if !ok || src.GetArtifact() == nil {
			return nil
		}
		var list kustomizev1.KustomizationList
		if err := r.List(ctx, &list, client.MatchingFields{indexKey: client.ObjectKeyFromObject(obj).String()}); err != nil {
			log.FromContext(ctx).Error(err, "listing the Kustomizations of a source", "source", client.ObjectKeyFromObject(obj).String())
			return nil
		}
		var reqs []ctrl.Request
		for i := range list.Items {
			k := &list.Items[i]
			if status.IsReady(k) && src.GetArtifact().HasRevision(k.Status.LastAttemptedRevision) {
				continue
			}
			reqs = append(reqs, ctrl.Request{NamespacedName: client.ObjectKeyFromObject(k)})
		}
		return reqs
	}
}
