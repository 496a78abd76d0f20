package dependency

import (
	"context"
	"fmt"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	helmv2 "github.com/ferrycd/ferry/api/helm/v2"
	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/api/meta"
	"github.com/ferrycd/ferry/internal/cel"
	"github.com/ferrycd/ferry/internal/status"
)

// IndexKey indexes objects by the objects they depend on, as
// "<Kind>/<namespace>/<name>" (see Tracker.Index).
const IndexKey = ".spec.dependsOn"

// Object is an object that depends on others or is depended on: it has a
// Ready condition.
type Object interface {
	client.Object
	status.Getter
}

// Kind is one kind of object that can be depended on.
type Kind struct {
	// GVK is the kind: messages name its Kind, and a readyExpr sees its
	// apiVersion and kind.
	GVK schema.GroupVersionKind

	// New returns an empty object of the kind.
	New func() Object

	// ObservedGeneration returns status.observedGeneration.
	ObservedGeneration func(Object) int64

	// AppliedRevision returns the revision the object last applied
	// (status.lastAppliedRevision): a Ready dependency that applies another
	// one lets its dependents proceed. Nil: only becoming Ready does.
	AppliedRevision func(Object) string
}

// Kinds lists the kinds a dependsOn entry may name: Flux's Kustomization
// and HelmRelease, each of which ferry lets depend on the other too.
var Kinds = []Kind{
	{
		GVK: kustomizev1.GroupVersion.WithKind(kustomizev1.KustomizationKind),
		New: func() Object { return &kustomizev1.Kustomization{} },
		ObservedGeneration: func(o Object) int64 {
			return o.(*kustomizev1.Kustomization).Status.ObservedGeneration
		},
		AppliedRevision: func(o Object) string {
			return o.(*kustomizev1.Kustomization).Status.LastAppliedRevision
		},
	},
	{
		GVK: helmv2.GroupVersion.WithKind(helmv2.HelmReleaseKind),
		New: func() Object { return &helmv2.HelmRelease{} },
		ObservedGeneration: func(o Object) int64 {
			return o.(*helmv2.HelmRelease).Status.ObservedGeneration
		},
	},
}

// Lookup returns the kind of Kinds named name.
func Lookup(name string) (Kind, bool) {
	i := slices.IndexFunc(Kinds, func(k Kind) bool { return k.GVK.Kind == name })
	if i < 0 {
		return Kind{}, false
	}
	return Kinds[i], true
}

// ReadyAtGeneration reports whether obj is Ready=True, with both
// status.observedGeneration and the Ready condition at its generation.
func (k Kind) ReadyAtGeneration(obj Object) bool {
	c := status.Get(obj, meta.ReadyCondition)
	return c != nil && c.Status == metav1.ConditionTrue &&
		k.ObservedGeneration(obj) == obj.GetGeneration() && c.ObservedGeneration == obj.GetGeneration()
}

// ReadyPredicate passes the updates of an object of the kind after which
// its dependents may proceed: it became Ready at its latest generation, or
// applied another revision while Ready. Creations, deletions and generic
// events pass nothing: a new object is not Ready yet, and dependents
// notice a deleted dependency at their next retry.
func (k Kind) ReadyPredicate() predicate.Predicate {
	return predicate.Funcs{
		CreateFunc:  func(event.CreateEvent) bool { return false },
		DeleteFunc:  func(event.DeleteEvent) bool { return false },
		GenericFunc: func(event.GenericEvent) bool { return false },
		UpdateFunc: func(e event.UpdateEvent) bool {
			oldObj, ok1 := e.ObjectOld.(Object)
			newObj, ok2 := e.ObjectNew.(Object)
			if !ok1 || !ok2 || !k.ReadyAtGeneration(newObj) {
				return false
			}
			return !k.ReadyAtGeneration(oldObj) ||
				k.AppliedRevision != nil && k.AppliedRevision(oldObj) != k.AppliedRevision(newObj)
		},
	}
}

// Reference is one spec.dependsOn entry.
type Reference struct {
	// Kind of the dependency, one of Kinds; empty is the dependent's own.
	Kind string
	// Namespace of the dependency; empty is the dependent's own.
	Namespace string
	// Name of the dependency.
	Name string
	// ReadyExpr, when not empty, is a CEL expression that replaces the
	// built-in readiness check.
	ReadyExpr string
}

// Tracker checks and watches the dependencies of the objects of one kind.
type Tracker[T Object] struct {
	// Client reads the dependencies and lists the dependents (the
	// manager's cached client, indexed by IndexKey).
	Client client.Reader

	// Kind is the kind of the dependents, one of Kinds: a dependency
	// without a kind is of this kind and is named "<namespace>/<name>" in
	// messages; a dependency of another kind "<Kind>/<namespace>/<name>".
	Kind string

	// NewList returns an empty list of the dependents.
	NewList func() client.ObjectList

	// DependsOn returns obj's spec.dependsOn.
	DependsOn func(obj T) []Reference
}

// entry is one entry of spec.dependsOn, its kind and namespace defaulted.
type entry struct {
	kind      string
	key       types.NamespacedName
	readyExpr string
}

// name names a dependency in messages: "<namespace>/<name>" when it
// is of the dependent's own kind, "<Kind>/<namespace>/<name>" otherwise.
func (t *Tracker[T]) name(d entry) string {
	if d.kind == t.Kind {
		return d.key.String()
	}
	return d.kind + "/" + d.key.String()
}

// entries returns obj's spec.dependsOn with kinds and namespaces
// defaulted to obj's.
func (t *Tracker[T]) entries(obj T) []entry {
	refs := t.DependsOn(obj)
	deps := make([]entry, 0, len(refs))
	for _, r := range refs {
		d := entry{kind: r.Kind, key: types.NamespacedName{Namespace: r.Namespace, Name: r.Name}, readyExpr: r.ReadyExpr}
		if d.kind == "" {
			d.kind = t.Kind
		}
		if d.key.Namespace == "" {
			d.key.Namespace = obj.GetNamespace()
		}
		deps = append(deps, d)
	}
	return deps
}

// Index is the index function of IndexKey for the dependents: each
// dependency as "<Kind>/<namespace>/<name>".
func (t *Tracker[T]) Index(o client.Object) []string {
	obj, ok := o.(T)
	if !ok {
		return nil
	}
	var keys []string
	for _, d := range t.entries(obj) {
		keys = append(keys, d.kind+"/"+d.key.String())
	}
	return keys
}

// Check returns an error naming the first dependency of obj that is not
// ready: not found, obj itself, its readyExpr false, or, without a
// readyExpr, not Ready at its latest generation, or Ready but not
// upToDate (when upToDate is not nil), as kustomize-controller does.
func (t *Tracker[T]) Check(ctx context.Context, obj T, upToDate func(dep Object) (ok bool, reason string)) error {
	for _, d := range t.entries(obj) {
		name := t.name(d)
		if d.kind == t.Kind && d.key.Namespace == obj.GetNamespace() && d.key.Name == obj.GetName() {
			return fmt.Errorf("dependency '%s' is the %s itself", name, t.Kind)
		}
		kind, ok := Lookup(d.kind)
		if !ok {
			return fmt.Errorf("dependency '%s': a %s cannot depend on a %s", name, t.Kind, d.kind)
		}
		dep := kind.New()
		if err := t.Client.Get(ctx, d.key, dep); err != nil {
			if apierrors.IsNotFound(err) {
				return fmt.Errorf("dependency '%s' not found", name)
			}
			return fmt.Errorf("dependency '%s': %w", name, err)
		}
		if d.readyExpr != "" {
			ok, err := t.evalReadyExpr(ctx, d.readyExpr, obj, dep, kind)
			if err != nil {
				return fmt.Errorf("dependency '%s': readyExpr: %w", name, err)
			}
			if !ok {
				return fmt.Errorf("dependency '%s' is not ready according to its readyExpr", name)
			}
			continue
		}
		if !kind.ReadyAtGeneration(dep) {
			return fmt.Errorf("dependency '%s' is not ready", name)
		}
		if upToDate != nil {
			if ok, reason := upToDate(dep); !ok {
				return fmt.Errorf("dependency '%s' %s", name, reason)
			}
		}
	}
	return nil
}

// evalReadyExpr evaluates a dependsOn readyExpr, as Flux does, with self
// bound to the dependent and dep to the dependency, of kind depKind.
func (t *Tracker[T]) evalReadyExpr(ctx context.Context, src string, self T, dep Object, depKind Kind) (bool, error) {
	expr, err := cel.NewBoolExpression(src, "self", "dep")
	if err != nil {
		return false, err
	}
	selfKind, ok := Lookup(t.Kind)
	if !ok {
		return false, fmt.Errorf("unknown dependent kind %s", t.Kind)
	}
	selfMap, err := toMap(self, selfKind.GVK)
	if err != nil {
		return false, err
	}
	depMap, err := toMap(dep, depKind.GVK)
	if err != nil {
		return false, err
	}
	return expr.Bool(ctx, map[string]any{"self": selfMap, "dep": depMap})
}

// toMap converts an object to its JSON form, with apiVersion and kind.
func toMap(obj Object, gvk schema.GroupVersionKind) (map[string]any, error) {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return nil, fmt.Errorf("converting %s/%s: %w", obj.GetNamespace(), obj.GetName(), err)
	}
	m["apiVersion"] = gvk.GroupVersion().String()
	m["kind"] = gvk.Kind
	return m, nil
}

// RequestsForDependents returns the handler.MapFunc of a watch on
// dependencies of kind kind: it maps one that became Ready to the objects
// that depend on it and are not Ready, so that they start at once instead
// of at their next dependency retry.
func (t *Tracker[T]) RequestsForDependents(kind string) handler.MapFunc {
	return func(ctx context.Context, obj client.Object) []reconcile.Request {
		list := t.NewList()
		key := kind + "/" + client.ObjectKeyFromObject(obj).String()
		if err := t.Client.List(ctx, list, client.MatchingFields{IndexKey: key}); err != nil {
			log.FromContext(ctx).Error(err, "listing the dependents of a "+kind, strings.ToLower(kind), key)
			return nil
		}
		items, err := apimeta.ExtractList(list)
		if err != nil {
			log.FromContext(ctx).Error(err, "listing the dependents of a "+kind, strings.ToLower(kind), key)
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
}
