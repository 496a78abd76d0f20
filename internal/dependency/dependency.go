package dependency

import (
	"context"
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/ferrycd/ferry/api/meta"
	"github.com/ferrycd/ferry/internal/cel"
	"github.com/ferrycd/ferry/internal/status"
)

// IndexKey indexes objects by the objects they depend on, as
// "<namespace>/<name>" (see Index).
const IndexKey = ".spec.dependsOn"

// Object is an object whose spec.dependsOn names objects of its own kind
// that must be ready first.
type Object interface {
	client.Object
	status.Getter
	// GetDependsOn returns spec.dependsOn; an empty namespace is the
	// object's own.
	GetDependsOn() []meta.NamespacedObjectReference
}

// Keys returns the dependencies of obj as namespaced names; a dependency
// without a namespace is in obj's namespace.
func Keys(obj Object) []types.NamespacedName {
	deps := obj.GetDependsOn()
	keys := make([]types.NamespacedName, 0, len(deps))
	for _, d := range deps {
		ns := d.Namespace
		if ns == "" {
			ns = obj.GetNamespace()
		}
		keys = append(keys, types.NamespacedName{Namespace: ns, Name: d.Name})
	}
	return keys
}

// Index is the index function of IndexKey, for the field indexer of any
// kind that meets Object.
func Index(o client.Object) []string {
	obj, ok := o.(Object)
	if !ok {
		return nil
	}
	var keys []string
	for _, key := range Keys(obj) {
		keys = append(keys, key.String())
	}
	return keys
}

// Tracker checks and watches the dependencies of the objects of one kind.
type Tracker[T Object] struct {
	// Client reads the dependencies and lists the dependents (the
	// manager's cached client, indexed by IndexKey).
	Client client.Reader

	// GVK is the kind of the objects and of their dependencies: messages
	// name its Kind, and a readyExpr sees its apiVersion and kind.
	GVK schema.GroupVersionKind

	// New returns an empty object of the kind; NewList an empty list.
	New     func() T
	NewList func() client.ObjectList

	// ObservedGeneration returns status.observedGeneration.
	ObservedGeneration func(T) int64

	// AppliedRevision returns the revision the object last applied
	// (status.lastAppliedRevision): a Ready dependency that applies
	// another one lets its dependents proceed. Nil: only becoming Ready
	// does.
	AppliedRevision func(T) string

	// ReadyExpr returns the readyExpr of obj's i-th dependency (in the
	// order of GetDependsOn), "" for none; nil when the kind has none.
	ReadyExpr func(obj T, i int) string
}

// Check returns an error naming the first dependency of obj that is not
// ready: not found, obj itself, its readyExpr false, or, without a
// readyExpr, not Ready at its latest generation, or Ready but not
// upToDate (when upToDate is not nil), as kustomize-controller does.
func (t *Tracker[T]) Check(ctx context.Context, obj T, upToDate func(dep T) (ok bool, reason string)) error {
	for i, key := range Keys(obj) {
		if key.Namespace == obj.GetNamespace() && key.Name == obj.GetName() {
			return fmt.Errorf("dependency '%s' is the %s itself", key, t.GVK.Kind)
		}
		dep := t.New()
		if err := t.Client.Get(ctx, key, dep); err != nil {
			if apierrors.IsNotFound(err) {
				return fmt.Errorf("dependency '%s' not found", key)
			}
			return fmt.Errorf("dependency '%s': %w", key, err)
		}
		if t.ReadyExpr != nil {
			if expr := t.ReadyExpr(obj, i); expr != "" {
				ok, err := t.evalReadyExpr(ctx, expr, obj, dep)
				if err != nil {
					return fmt.Errorf("dependency '%s': readyExpr: %w", key, err)
				}
				if !ok {
					return fmt.Errorf("dependency '%s' is not ready according to its readyExpr", key)
				}
				continue
			}
		}
		if !t.ReadyAtGeneration(dep) {
			return fmt.Errorf("dependency '%s' is not ready", key)
		}
		if upToDate != nil {
			if ok, reason := upToDate(dep); !ok {
				return fmt.Errorf("dependency '%s' %s", key, reason)
			}
		}
	}
	return nil
}

// ReadyAtGeneration reports whether obj is Ready=True, with both
// status.observedGeneration and the Ready condition at its generation.
func (t *Tracker[T]) ReadyAtGeneration(obj T) bool {
	c := status.Get(obj, meta.ReadyCondition)
	return c != nil && c.Status == metav1.ConditionTrue &&
		t.ObservedGeneration(obj) == obj.GetGeneration() && c.ObservedGeneration == obj.GetGeneration()
}

// evalReadyExpr evaluates a dependsOn readyExpr, as Flux does, with self
// bound to the dependent and dep to the dependency.
func (t *Tracker[T]) evalReadyExpr(ctx context.Context, src string, self, dep T) (bool, error) {
	expr, err := cel.NewExpression(src, "self", "dep")
	if err != nil {
		return false, err
	}
	selfMap, err := t.toMap(self)
	if err != nil {
		return false, err
	}
	depMap, err := t.toMap(dep)
	if err != nil {
		return false, err
	}
	return expr.Bool(ctx, map[string]any{"self": selfMap, "dep": depMap})
}

// toMap converts an object to its JSON form, with apiVersion and kind.
func (t *Tracker[T]) toMap(obj T) (map[string]any, error) {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return nil, fmt.Errorf("converting %s/%s: %w", obj.GetNamespace(), obj.GetName(), err)
	}
	m["apiVersion"] = t.GVK.GroupVersion().String()
	m["kind"] = t.GVK.Kind
	return m, nil
}

// RequestsForDependents maps an object that became Ready to the objects
// that depend on it and are not Ready, so that they start at once instead
// of at their next dependency retry. It is a handler.MapFunc.
func (t *Tracker[T]) RequestsForDependents(ctx context.Context, obj client.Object) []reconcile.Request {
	list := t.NewList()
	key := client.ObjectKeyFromObject(obj).String()
	if err := t.Client.List(ctx, list, client.MatchingFields{IndexKey: key}); err != nil {
		log.FromContext(ctx).Error(err, "listing the dependents of a "+t.GVK.Kind, strings.ToLower(t.GVK.Kind), key)
		return nil
	}
	items, err := apimeta.ExtractList(list)
	if err != nil {
		log.FromContext(ctx).Error(err, "listing the dependents of a "+t.GVK.Kind, strings.ToLower(t.GVK.Kind), key)
		return nil
	}
	var reqs []reconcile.Request
	for _, item := range items {
		dependent, ok := item.(T)
		if !ok || status.IsReady(dependent) {
			continue
		}
		reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(dependent)})
	}
	return reqs
}

// ReadyPredicate passes the updates of an object after which its dependents
// may proceed: it became Ready at its latest generation, or applied another
// revision while Ready. Creations, deletions and generic events pass
// nothing: a new object is not Ready yet, and dependents notice a deleted
// dependency at their next retry.
func (t *Tracker[T]) ReadyPredicate() predicate.Predicate {
	return predicate.Funcs{
		CreateFunc:  func(event.CreateEvent) bool { return false },
		DeleteFunc:  func(event.DeleteEvent) bool { return false },
		GenericFunc: func(event.GenericEvent) bool { return false },
		UpdateFunc: func(e event.UpdateEvent) bool {
			oldObj, ok1 := e.ObjectOld.(T)
			newObj, ok2 := e.ObjectNew.(T)
			if !ok1 || !ok2 || !t.ReadyAtGeneration(newObj) {
				return false
			}
			return !t.ReadyAtGeneration(oldObj) ||
				t.AppliedRevision != nil && t.AppliedRevision(oldObj) != t.AppliedRevision(newObj)
		},
	}
}
