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
		Client:             r.Client,
		GVK:                kustomizev1.GroupVersion.WithKind(kustomizev1.KustomizationKind),
		New:                func() *kustomizev1.Kustomization { return &kustomizev1.Kustomization{} },
		NewList:            func() client.ObjectList { return &kustomizev1.KustomizationList{} },
		ObservedGeneration: func(k *kustomizev1.Kustomization) int64 { return k.Status.ObservedGeneration },
		AppliedRevision:    func(k *kustomizev1.Kustomization) string { return k.Status.LastAppliedRevision },
		ReadyExpr:          func(k *kustomizev1.Kustomization, i int) string { return k.Spec.DependsOn[i].ReadyExpr },
	}
}

// checkDependencies returns an error naming the first dependency that is not
// Ready at its latest generation, as kustomize-controller does. A dependency
// built from the same source must also have applied the source's current
// revision, so that dependents never run ahead of what they depend on.
func (r *Reconciler) checkDependencies(ctx context.Context, obj *kustomizev1.Kustomization, src sourcev1.Source) error {
	return r.dependencies().Check(ctx, obj, func(dep *kustomizev1.Kustomization) (bool, string) {
		if sameSource(obj, dep) && src.GetArtifact() != nil && !src.GetArtifact().HasRevision(dep.Status.LastAppliedRevision) {
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
