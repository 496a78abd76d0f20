package ui

import (
	"context"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	helmv2 "github.com/ferrycd/ferry/api/helm/v2"
	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
)

// dependency is one entry of an object's spec.dependsOn, as the cache
// has it.
type dependency struct {
	ref
	// Path is its page, empty for a kind the UI does not show.
	Path string
	// Exists says the cache holds it; State is then its state.
	Exists bool
	State  string
	// Hidden says the user may not see it (visible.go): it is neither
	// linked nor looked up.
	Hidden bool
}

// hasDependsOn says obj's kind has a spec.dependsOn: Kustomizations and
// HelmReleases.
func hasDependsOn(obj client.Object) bool {
	_, ok := dependsOnOf(obj)
	return ok
}

// dependsOnOf is obj's spec.dependsOn with the defaults filled in: an
// entry without a kind names the object's own kind (Flux's only one),
// without a namespace the object's namespace. apiVersion is left out, as
// the controllers ignore it too (docs/api.md, "dependsOn across kinds").
func dependsOnOf(obj client.Object) ([]ref, bool) {
	var out []ref
	add := func(kind, defaultKind, ns, name string) {
		out = append(out, ref{Kind: orDefault(kind, defaultKind), Namespace: orDefault(ns, obj.GetNamespace()), Name: name})
	}
	switch o := obj.(type) {
	case *kustomizev1.Kustomization:
		for _, d := range o.Spec.DependsOn {
			add(d.Kind, kustomizev1.KustomizationKind, d.Namespace, d.Name)
		}
	case *helmv2.HelmRelease:
		for _, d := range o.Spec.DependsOn {
			add(d.Kind, helmv2.HelmReleaseKind, d.Namespace, d.Name)
		}
	default:
		return nil, false
	}
	return out, true
}

// dependencies are what obj (of kind k) depends on, each looked up in
// the cache, and every Kustomization and HelmRelease whose dependsOn
// names obj (read through s.rows, so only those the user may see).
func (s *Server) dependencies(ctx context.Context, k *kind, obj client.Object) ([]dependency, []row, error) {
	visible, err := s.visibleIn(ctx)
	if err != nil {
		return nil, nil, err
	}
	refs, _ := dependsOnOf(obj)
	var deps []dependency
	for _, r := range refs {
		d := dependency{ref: r}
		if dk := kindNamed(r.Kind); dk != nil {
			d.Kind = dk.name
			if !visible.Allows(dk.name, r.Namespace) {
				d.Hidden = true
				deps = append(deps, d)
				continue
			}
			d.Path = objectPath(dk.name, r.Namespace, r.Name)
			o := dk.newObject()
			err := s.opts.Reader.Get(ctx, client.ObjectKey{Namespace: r.Namespace, Name: r.Name}, o)
			switch {
			case err == nil:
				d.Exists, d.State = true, stateOf(o)
			case !apierrors.IsNotFound(err):
				return nil, nil, err
			}
		}
		deps = append(deps, d)
	}

	// Find the dependents among every object that has a dependsOn.
	self := ref{Kind: k.name, Namespace: obj.GetNamespace(), Name: obj.GetName()}
	var neededBy []row
	for _, dk := range kinds {
		if !hasDependsOn(dk.newObject()) {
			continue
		}
		rows, err := s.rows(ctx, dk, "")
		if err != nil {
			return nil, nil, err
		}
		for _, row := range rows {
			refs, _ := dependsOnOf(row.Object)
			for _, r := range refs {
				if r == self {
					neededBy = append(neededBy, row)
					break
				}
			}
		}
	}
	return deps, neededBy, nil
}
