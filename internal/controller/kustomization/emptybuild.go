package kustomization

import (
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/api/meta"
)

// AllowEmptyAnnotation set to "true" on a Kustomization lets a build that
// yields no objects be applied (and, with spec.prune, delete everything the
// Kustomization applied before). Without it ferry refuses such a build: a
// typo in spec.path or a moved directory must not wipe an environment. This
// goes beyond Flux, which prunes everything.
const AllowEmptyAnnotation = "ferry.toolkit.fluxcd.io/allow-empty-prune"

// refuseEmptyBuild fails a build that yields no objects while the inventory
// holds some, unless the Kustomization opts in with AllowEmptyAnnotation.
func (r *Reconciler) refuseEmptyBuild(obj *kustomizev1.Kustomization, objects []*unstructured.Unstructured, revision string) *phaseError {
	if len(objects) > 0 || obj.Status.Inventory == nil || len(obj.Status.Inventory.Entries) == 0 ||
		obj.GetAnnotations()[AllowEmptyAnnotation] == "true" {
		return nil
	}
	path := obj.Spec.Path
	if path == "" {
		path = "./"
	}
	return r.fail(obj, meta.BuildFailedReason, fmt.Errorf(
		"refusing to apply revision %s: path %q produced no objects while the inventory holds %d, and nothing was applied or pruned; "+
			"if the path is meant to be empty, annotate the Kustomization with %s: \"true\"",
		revision, path, len(obj.Status.Inventory.Entries), AllowEmptyAnnotation))
}
