package apply

import (
	"fmt"
	"strings"

	"github.com/fluxcd/cli-utils/pkg/object"
	"github.com/fluxcd/pkg/ssa"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
)

// ID returns the inventory ID of an object, in Flux's format
// <namespace>_<name>_<group>_<kind> (a colon in the name is written "__").
func ID(obj *unstructured.Unstructured) string {
	return object.UnstructuredToObjMetadata(obj).String()
}

// Inventory returns the inventory of a change set: one entry per object, with
// its ID and API version, in the order of the change set.
func Inventory(cs *ssa.ChangeSet) *kustomizev1.ResourceInventory {
	inv := &kustomizev1.ResourceInventory{Entries: []kustomizev1.ResourceRef{}}
	if cs == nil {
		return inv
	}
	for _, e := range cs.Entries {
		inv.Entries = append(inv.Entries, kustomizev1.ResourceRef{
			ID:      e.ObjMetadata.String(),
			Version: e.GroupVersion,
		})
	}
	return inv
}

// Objects returns the objects an inventory lists, each with only its
// apiVersion, kind, namespace and name set: enough to get or delete it.
func Objects(inv *kustomizev1.ResourceInventory) ([]*unstructured.Unstructured, error) {
	if inv == nil {
		return nil, nil
	}
	objs := make([]*unstructured.Unstructured, 0, len(inv.Entries))
	for _, e := range inv.Entries {
		obj, err := skeleton(e)
		if err != nil {
			return nil, err
		}
		objs = append(objs, obj)
	}
	return objs, nil
}

// Stale returns the objects listed in old but not in current: those a prune
// should delete.
func Stale(old, current *kustomizev1.ResourceInventory) ([]*unstructured.Unstructured, error) {
	if old == nil {
		return nil, nil
	}
	keep := map[string]bool{}
	if current != nil {
		for _, e := range current.Entries {
			keep[e.ID] = true
		}
	}
	var stale []*unstructured.Unstructured
	for _, e := range old.Entries {
		if keep[e.ID] {
			continue
		}
		obj, err := skeleton(e)
		if err != nil {
			return nil, err
		}
		stale = append(stale, obj)
	}
	return stale, nil
}

// skeleton turns an inventory entry back into a skeleton object.
func skeleton(e kustomizev1.ResourceRef) (*unstructured.Unstructured, error) {
	m, err := object.ParseObjMetadata(e.ID)
	if err != nil {
		return nil, fmt.Errorf("inventory entry %q: %w", e.ID, err)
	}
	if e.Version == "" {
		return nil, fmt.Errorf("inventory entry %q has no version", e.ID)
	}
	// "<group>/<version>" with a '/' in either would be another group's
	// apiVersion, or none.
	if strings.Contains(e.Version, "/") {
		return nil, fmt.Errorf("inventory entry %q has the version %q, which is not a version", e.ID, e.Version)
	}
	if strings.Contains(m.GroupKind.Group, "/") {
		return nil, fmt.Errorf("inventory entry %q has the group %q, which is not a group", e.ID, m.GroupKind.Group)
	}
	obj := &unstructured.Unstructured{}
	obj.SetGroupVersionKind(schema.GroupVersionKind{Group: m.GroupKind.Group, Version: e.Version, Kind: m.GroupKind.Kind})
	obj.SetNamespace(m.Namespace)
	obj.SetName(m.Name)
	return obj, nil
}
