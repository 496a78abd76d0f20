package kustomization

import (
	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/internal/acl"
)

// AccessDeniedReason is the Ready and Stalled reason of a Kustomization
// refused by --no-cross-namespace-refs (Flux's).
const AccessDeniedReason = acl.AccessDeniedReason

// crossNamespaceRef returns Flux's error for the first reference of obj to
// another namespace (spec.sourceRef, then spec.dependsOn), or nil when there
// is none or cross-namespace references are allowed.
func (r *Reconciler) crossNamespaceRef(obj *kustomizev1.Kustomization) error {
	if !r.NoCrossNamespaceRefs {
		return nil
	}
	refs := []acl.Reference{{Kind: obj.Spec.SourceRef.Kind, Namespace: obj.Spec.SourceRef.Namespace, Name: obj.Spec.SourceRef.Name}}
	for _, d := range obj.Spec.DependsOn {
		kind := d.Kind
		if kind == "" {
			kind = kustomizev1.KustomizationKind
		}
		refs = append(refs, acl.Reference{Kind: kind, Namespace: d.Namespace, Name: d.Name})
	}
	return acl.Check(obj.Namespace, refs...)
}
