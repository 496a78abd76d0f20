package helmrelease

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	helmv2 "github.com/ferrycd/ferry/api/helm/v2"
	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/api/meta"
	"github.com/ferrycd/ferry/internal/cel"
	"github.com/ferrycd/ferry/internal/status"
)

// dependency is a dependsOn object: a HelmRelease or, in ferry, a
// Kustomization.
type dependency interface {
	client.Object
	status.Getter
}

// checkDependencies returns an error naming the first dependency that is
// not ready: not found, the HelmRelease itself, its readyExpr false, or,
// without one, not Ready at its latest generation.
func (r *Reconciler) checkDependencies(ctx context.Context, hr *helmv2.HelmRelease) error {
	for _, d := range hr.Spec.DependsOn {
		kind, key := dependencyKind(d), dependencyKey(hr, d)
		if kind == helmv2.HelmReleaseKind && key.Namespace == hr.Namespace && key.Name == hr.Name {
			return fmt.Errorf("dependency '%s' is the HelmRelease itself", key)
		}
		var (
			dep      dependency
			gvk      schema.GroupVersionKind
			observed func() int64
		)
		switch kind {
		case kustomizev1.KustomizationKind:
			k := &kustomizev1.Kustomization{}
			dep, gvk, observed = k, kustomizev1.GroupVersion.WithKind(kind), func() int64 { return k.Status.ObservedGeneration }
		default:
			h := &helmv2.HelmRelease{}
			dep, gvk, observed = h, helmv2.GroupVersion.WithKind(kind), func() int64 { return h.Status.ObservedGeneration }
		}
		name := fmt.Sprintf("%s/%s", kind, key)
		if kind == helmv2.HelmReleaseKind {
			name = key.String() // Flux's message for its only kind
		}
		if err := r.Get(ctx, key, dep); err != nil {
			if apierrors.IsNotFound(err) {
				return fmt.Errorf("dependency '%s' not found", name)
			}
			return fmt.Errorf("dependency '%s': %w", name, err)
		}
		if d.ReadyExpr != "" {
			ok, err := evalReadyExpr(ctx, d.ReadyExpr, hr, dep, gvk)
			if err != nil {
				return fmt.Errorf("dependency '%s': readyExpr: %w", name, err)
			}
			if !ok {
				return fmt.Errorf("dependency '%s' is not ready according to its readyExpr", name)
			}
			continue
		}
		c := status.Get(dep, meta.ReadyCondition)
		if c == nil || c.Status != metav1.ConditionTrue || observed() != dep.GetGeneration() || c.ObservedGeneration != dep.GetGeneration() {
			return fmt.Errorf("dependency '%s' is not ready", name)
		}
	}
	return nil
}

// evalReadyExpr evaluates a dependsOn readyExpr with self bound to the
// HelmRelease and dep to the dependency, as Flux does.
func evalReadyExpr(ctx context.Context, src string, self *helmv2.HelmRelease, dep client.Object, gvk schema.GroupVersionKind) (bool, error) {
	expr, err := cel.NewExpression(src, "self", "dep")
	if err != nil {
		return false, err
	}
	selfMap, err := toMap(self, helmv2.GroupVersion.WithKind(helmv2.HelmReleaseKind))
	if err != nil {
		return false, err
	}
	depMap, err := toMap(dep, gvk)
	if err != nil {
		return false, err
	}
	return expr.Bool(ctx, map[string]any{"self": selfMap, "dep": depMap})
}

func toMap(obj client.Object, gvk schema.GroupVersionKind) (map[string]any, error) {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return nil, err
	}
	m["apiVersion"] = gvk.GroupVersion().String()
	m["kind"] = gvk.Kind
	return m, nil
}
