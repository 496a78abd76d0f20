package helmrelease

import (
	"context"

	"sigs.k8s.io/controller-runtime/pkg/client"

	helmv2 "github.com/ferrycd/ferry/api/helm/v2"
	"github.com/ferrycd/ferry/internal/dependency"
)

// dependencies returns the tracker of spec.dependsOn (internal/dependency),
// reading through the reconciler's (cached) client.
func (r *Reconciler) dependencies() *dependency.Tracker[*helmv2.HelmRelease] {
	return &dependency.Tracker[*helmv2.HelmRelease]{
		Client:    r.Client,
		Kind:      helmv2.HelmReleaseKind,
		NewList:   func() client.ObjectList { return &helmv2.HelmReleaseList{} },
		DependsOn: dependsOn,
	}
}

// dependsOn returns spec.dependsOn as internal/dependency takes it: an entry
// without a kind is a HelmRelease, one with kind Kustomization (ferry only)
// a Kustomization.
func dependsOn(hr *helmv2.HelmRelease) []dependency.Reference {
	refs := make([]dependency.Reference, len(hr.Spec.DependsOn))
	for i, d := range hr.Spec.DependsOn {
		refs[i] = dependency.Reference{Kind: d.Kind, Namespace: d.Namespace, Name: d.Name, ReadyExpr: d.ReadyExpr}
	}
	return refs
}

// checkDependencies returns an error naming the first dependency that is
// not ready: not found, the HelmRelease itself, its readyExpr false, or,
// without one, not Ready at its latest generation.
func (r *Reconciler) checkDependencies(ctx context.Context, hr *helmv2.HelmRelease) error {
	return r.dependencies().Check(ctx, hr, nil)
}
