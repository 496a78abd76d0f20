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
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/status"
)

// GitRepositoryIndexKey indexes Kustomizations by the GitRepository they
// use, as "<namespace>/<name>" (Flux's key).
const GitRepositoryIndexKey = ".metadata.gitRepository"

// Options configures the controller.
type Options struct {
	// MaxConcurrentReconciles is how many Kustomizations reconcile at once
	// (default 1).
	MaxConcurrentReconciles int
}

// SetupWithManager registers the controller with mgr. A Kustomization is
// reconciled when its generation or its reconcile.fluxcd.io/requestedAt
// annotation changes, when the GitRepository it uses gets an artifact of a
// new revision, when a Kustomization it depends on becomes Ready, and every
// spec.interval.
func (r *Reconciler) SetupWithManager(ctx context.Context, mgr ctrl.Manager, opts Options) error {
	if r.Fetcher == nil {
		return fmt.Errorf("the kustomization controller needs an artifact fetcher")
	}
	if err := r.closeArtifactCacheOnStop(mgr); err != nil {
		return err
	}
	if r.RESTConfig == nil {
		r.RESTConfig = mgr.GetConfig()
	}
	if r.APIReader == nil {
		r.APIReader = mgr.GetAPIReader()
	}
	if err := mgr.GetFieldIndexer().IndexField(ctx, &kustomizev1.Kustomization{}, GitRepositoryIndexKey,
		indexBySource(sourcev1.GitRepositoryKind)); err != nil {
		return fmt.Errorf("indexing Kustomizations by GitRepository: %w", err)
	}
	if err := mgr.GetFieldIndexer().IndexField(ctx, &kustomizev1.Kustomization{}, DependsOnIndexKey,
		indexByDependency); err != nil {
		return fmt.Errorf("indexing Kustomizations by dependency: %w", err)
	}
	return ctrl.NewControllerManagedBy(mgr).
		Named("kustomization").
		For(&kustomizev1.Kustomization{}, builder.WithPredicates(
			predicate.Or[client.Object](predicate.GenerationChangedPredicate{}, reconcileRequestedPredicate{}),
		)).
		Watches(&sourcev1.GitRepository{},
			handler.EnqueueRequestsFromMapFunc(r.requestsForRevisionChangeOf(GitRepositoryIndexKey)),
			builder.WithPredicates(sourceRevisionChangePredicate{}),
		).
		Watches(&kustomizev1.Kustomization{},
			handler.EnqueueRequestsFromMapFunc(r.requestsForDependents),
			builder.WithPredicates(dependencyReadyPredicate{}),
		).
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
	return func(ctx context.Context, obj client.Object) []reconcile.Request {
		src, ok := obj.(sourceWithArtifact)
		if !ok || src.GetArtifact() == nil {
			return nil
		}
		var list kustomizev1.KustomizationList
		if err := r.List(ctx, &list, client.MatchingFields{indexKey: client.ObjectKeyFromObject(obj).String()}); err != nil {
			log.FromContext(ctx).Error(err, "listing the Kustomizations of a source", "source", client.ObjectKeyFromObject(obj).String())
			return nil
		}
		var reqs []reconcile.Request
		for i := range list.Items {
			k := &list.Items[i]
			if status.IsReady(k) && src.GetArtifact().HasRevision(k.Status.LastAttemptedRevision) {
				continue
			}
			reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(k)})
		}
		return reqs
	}
}

// reconcileRequestedPredicate passes updates that change the
// reconcile.fluxcd.io/requestedAt annotation.
type reconcileRequestedPredicate struct {
	predicate.Funcs
}

// Update passes a change of the reconcile request annotation.
func (reconcileRequestedPredicate) Update(e event.UpdateEvent) bool {
	if e.ObjectOld == nil || e.ObjectNew == nil {
		return false
	}
	newValue, ok := meta.ReconcileAnnotationValue(e.ObjectNew.GetAnnotations())
	if !ok {
		return false
	}
	oldValue, _ := meta.ReconcileAnnotationValue(e.ObjectOld.GetAnnotations())
	return newValue != oldValue
}

// sourceRevisionChangePredicate passes source updates that bring an artifact
// of a new revision.
type sourceRevisionChangePredicate struct {
	predicate.Funcs
}

// Create passes nothing: a new source has no artifact yet.
func (sourceRevisionChangePredicate) Create(event.CreateEvent) bool { return false }

// Delete passes nothing: the Kustomizations notice at their next run.
func (sourceRevisionChangePredicate) Delete(event.DeleteEvent) bool { return false }

// Generic passes nothing.
func (sourceRevisionChangePredicate) Generic(event.GenericEvent) bool { return false }

// Update passes a first artifact or an artifact of another revision.
func (sourceRevisionChangePredicate) Update(e event.UpdateEvent) bool {
	oldSrc, ok1 := e.ObjectOld.(sourceWithArtifact)
	newSrc, ok2 := e.ObjectNew.(sourceWithArtifact)
	if !ok1 || !ok2 || newSrc.GetArtifact() == nil {
		return false
	}
	return oldSrc.GetArtifact() == nil || !oldSrc.GetArtifact().HasRevision(newSrc.GetArtifact().Revision)
}
