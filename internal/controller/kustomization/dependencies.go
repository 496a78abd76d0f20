package kustomization

import (
	"context"

	"sigs.k8s.io/controller-runtime/pkg/client"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/dependency"
)

// dependencyTracker checks and watches spec.dependsOn (internal/dependency).
type dependencyTracker = dependency.Tracker[*kustomizev1.Kustomization]

// dependencies returns the tracker of spec.dependsOn, reading through the
// reconciler's (cached) client.
func (r *Reconciler) dependencies() *dependencyTracker {
	return &dependencyTracker{
		Client:    r.Client,
		Kind:      kustomizev1.KustomizationKind,
		NewList:   func() client.ObjectList { return &kustomizev1.KustomizationList{} },
		DependsOn: dependsOn,
	}
}

// dependsOn returns spec.dependsOn as internal/dependency takes it: an entry
// without a kind is a Kustomization, one with kind HelmRelease (ferry only)
// a HelmRelease.
func dependsOn(obj *kustomizev1.Kustomization) []dependency.Reference {
	refs := make([]dependency.Reference, len(obj.Spec.DependsOn))
	for i, d := range obj.Spec.DependsOn {
		refs[i] = dependency.Reference{Kind: d.Kind, Namespace: d.Namespace, Name: d.Name, ReadyExpr: d.ReadyExpr}
	}
	return refs
}

// checkDependencies returns an error naming the first dependency that is not
// Ready at its latest generation, as kustomize-controller does. A
// Kustomization dependency built from the same source must also have
// applied the source's current revision, so that dependents never run
// ahead of what they depend on; a HelmRelease dependency only has to be
// Ready.
func (r *Reconciler) checkDependencies(ctx context.Context, obj *kustomizev1.Kustomization, src sourcev1.Source) error {
	return r.dependencies().Check(ctx, obj, func(dep dependency.Object) (bool, string) {
		k, ok := dep.(*kustomizev1.Kustomization)
		if ok && sameSource(obj, k) && src.GetArtifact() != nil && !src.GetArtifact().HasRevision(k.Status.LastAppliedRevision) {
			return false, "revision is not up to date"
		}
		return true, ""
	})
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
