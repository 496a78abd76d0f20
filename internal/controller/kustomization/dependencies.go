package kustomization

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/cel"
	"github.com/ferrycd/ferry/internal/status"
)

// DependsOnIndexKey indexes Kustomizations by the Kustomizations they depend
// on, as "<namespace>/<name>".
const DependsOnIndexKey = ".spec.dependsOn"

// dependencyKeys returns the dependencies of obj as namespaced names; a
// dependency without a namespace is in obj's namespace.
func dependencyKeys(obj *kustomizev1.Kustomization) []types.NamespacedName {
	keys := make([]types.NamespacedName, 0, len(obj.Spec.DependsOn))
	for _, d := range obj.Spec.DependsOn {
		ns := d.Namespace
		if ns == "" {
			ns = obj.Namespace
		}
		keys = append(keys, types.NamespacedName{Namespace: ns, Name: d.Name})
	}
	return keys
}

// indexByDependency is the index function of DependsOnIndexKey.
func indexByDependency(o client.Object) []string {
	k, ok := o.(*kustomizev1.Kustomization)
	if !ok || len(k.Spec.DependsOn) == 0 {
		return nil
	}
	var keys []string
	for _, key := range dependencyKeys(k) {
		keys = append(keys, key.String())
	}
	return keys
}

// checkDependencies returns an error naming the first dependency that is not
// Ready at its latest generation, as kustomize-controller does. A dependency
// built from the same source must also have applied the source's current
// revision, so that dependents never run ahead of what they depend on.
func (r *Reconciler) checkDependencies(ctx context.Context, obj *kustomizev1.Kustomization, src sourcev1.Source) error {
	for i, key := range dependencyKeys(obj) {
		if key.Namespace == obj.Namespace && key.Name == obj.Name {
			return fmt.Errorf("dependency '%s' is the Kustomization itself", key)
		}
		dep := &kustomizev1.Kustomization{}
		if err := r.Get(ctx, key, dep); err != nil {
			if apierrors.IsNotFound(err) {
				return fmt.Errorf("dependency '%s' not found", key)
			}
			return fmt.Errorf("dependency '%s': %w", key, err)
		}
		if expr := obj.Spec.DependsOn[i].ReadyExpr; expr != "" {
			ok, err := evalReadyExpr(ctx, expr, obj, dep)
			if err != nil {
				return fmt.Errorf("dependency '%s': readyExpr: %w", key, err)
			}
			if !ok {
				return fmt.Errorf("dependency '%s' is not ready according to its readyExpr", key)
			}
			continue
		}
		if !readyAtGeneration(dep) {
			return fmt.Errorf("dependency '%s' is not ready", key)
		}
		if sameSource(obj, dep) && src.GetArtifact() != nil && !src.GetArtifact().HasRevision(dep.Status.LastAppliedRevision) {
			return fmt.Errorf("dependency '%s' revision is not up to date", key)
		}
	}
	return nil
}

// evalReadyExpr evaluates a dependsOn readyExpr, as Flux does, with self
// bound to the dependent Kustomization and dep to the dependency.
func evalReadyExpr(ctx context.Context, src string, self, dep *kustomizev1.Kustomization) (bool, error) {
	expr, err := cel.NewExpression(src, "self", "dep")
	if err != nil {
		return false, err
	}
	selfMap, err := toMap(self)
	if err != nil {
		return false, err
	}
	depMap, err := toMap(dep)
	if err != nil {
		return false, err
	}
	return expr.Bool(ctx, map[string]any{"self": selfMap, "dep": depMap})
}

// toMap converts a Kustomization to its JSON form, with apiVersion and kind.
func toMap(k *kustomizev1.Kustomization) (map[string]any, error) {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(k)
	if err != nil {
		return nil, fmt.Errorf("converting %s/%s: %w", k.Namespace, k.Name, err)
	}
	m["apiVersion"] = kustomizev1.GroupVersion.String()
	m["kind"] = kustomizev1.KustomizationKind
	return m, nil
}

// readyAtGeneration reports Ready=True observed at the object's generation.
func readyAtGeneration(k *kustomizev1.Kustomization) bool {
	c := status.Get(k, meta.ReadyCondition)
	return c != nil && c.Status == metav1.ConditionTrue &&
		k.Status.ObservedGeneration == k.Generation && c.ObservedGeneration == k.Generation
}

// sameSource reports whether two Kustomizations build the same source.
func sameSource(a, b *kustomizev1.Kustomization) bool {
	ns := func(k *kustomizev1.Kustomization) string {
		if k.Spec.SourceRef.Namespace != "" {
			return k.Spec.SourceRef.Namespace
		}
		return k.Namespace
	}
	return a.Spec.SourceRef.Kind == b.Spec.SourceRef.Kind && a.Spec.SourceRef.Name == b.Spec.SourceRef.Name && ns(a) == ns(b)
}

// requestsForDependents maps a Kustomization that became Ready to the
// Kustomizations that depend on it and are not Ready, so that they start at
// once instead of at their next dependency retry.
func (r *Reconciler) requestsForDependents(ctx context.Context, obj client.Object) []reconcile.Request {
	var list kustomizev1.KustomizationList
	key := client.ObjectKeyFromObject(obj).String()
	if err := r.List(ctx, &list, client.MatchingFields{DependsOnIndexKey: key}); err != nil {
		log.FromContext(ctx).Error(err, "listing the dependents of a Kustomization", "kustomization", key)
		return nil
	}
	var reqs []reconcile.Request
	for i := range list.Items {
		k := &list.Items[i]
		if status.IsReady(k) {
			continue
		}
		reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(k)})
	}
	return reqs
}

// dependencyReadyPredicate passes Kustomization updates after which its
// dependents may proceed: it became Ready at its latest generation, or
// applied another revision while Ready.
type dependencyReadyPredicate struct {
	predicate.Funcs
}

// Create passes nothing: a new Kustomization is not Ready yet.
func (dependencyReadyPredicate) Create(event.CreateEvent) bool { return false }

// Delete passes nothing: dependents notice at their next retry.
func (dependencyReadyPredicate) Delete(event.DeleteEvent) bool { return false }

// Generic passes nothing.
func (dependencyReadyPredicate) Generic(event.GenericEvent) bool { return false }

// Update passes a Kustomization that is now Ready at its generation and
// was not, or that applied a new revision.
func (dependencyReadyPredicate) Update(e event.UpdateEvent) bool {
	oldK, ok1 := e.ObjectOld.(*kustomizev1.Kustomization)
	newK, ok2 := e.ObjectNew.(*kustomizev1.Kustomization)
	if !ok1 || !ok2 || !readyAtGeneration(newK) {
		return false
	}
	return !readyAtGeneration(oldK) || oldK.Status.LastAppliedRevision != newK.Status.LastAppliedRevision
}
