package kustomization

import (
	"fmt"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
)

// AccessDeniedReason is the Ready and Stalled reason of a Kustomization
// refused by --no-cross-namespace-refs (Flux's).
const AccessDeniedReason = "AccessDenied"

// crossNamespaceRef returns Flux's message for the first reference of obj
// to another namespace (spec.sourceRef, then spec.dependsOn), or "" when
// there is none or cross-namespace references are allowed.
func (r *Reconciler) crossNamespaceRef(obj *kustomizev1.Kustomization) string {
	if !r.NoCrossNamespaceRefs {
		return ""
	}
	blocked := func(kind, ns, name string) string {
		return fmt.Sprintf("can't access '%s/%s/%s', cross-namespace references have been blocked", kind, ns, name)
	}
	if ns := obj.Spec.SourceRef.Namespace; ns != "" && ns != obj.Namespace {
		return blocked(obj.Spec.SourceRef.Kind, ns, obj.Spec.SourceRef.Name)
	}
	for _, d := range obj.Spec.DependsOn {
		if d.Namespace != "" && d.Namespace != obj.Namespace {
			return blocked(kustomizev1.KustomizationKind, d.Namespace, d.Name)
		}
	}
	return ""
}
