package ui

import (
	"context"
	"net/url"

	"github.com/fluxcd/cli-utils/pkg/object"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	helmv2 "github.com/ferrycd/ferry/api/helm/v2"
	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
)

// maxTreeDepth is how many inventories deep the inventory tree goes: the
// object's own and those of three generations of children. A deeper
// child is linked; its page shows the rest.
const maxTreeDepth = 4

// inventoryOfObject is the inventory of a Kustomization or HelmRelease,
// and whether obj has one at all.
func inventoryOfObject(obj client.Object) (*kustomizev1.ResourceInventory, bool) {
	switch o := obj.(type) {
	case *kustomizev1.Kustomization:
		return o.Status.Inventory, true
	case *helmv2.HelmRelease:
		return o.Status.Inventory, true
	}
	return nil, false
}

// objectID is obj's inventory ID ("<namespace>_<name>_<group>_<kind>"),
// which the tree's cycle guard compares.
func objectID(k *kind, obj client.Object) string {
	return object.ObjMetadata{Namespace: obj.GetNamespace(), Name: obj.GetName(), GroupKind: k.gvk.GroupKind()}.String()
}

// growTree fills inv, the inventory at depth (the page's object's is 1):
// each entry of another kind than ferry's gets its trace link, and each
// of ferry's its state, read from the cache; a Kustomization's or
// HelmRelease's its own inventory, grown in turn, down to maxTreeDepth.
// above holds the IDs of the objects the tree passed through to get
// here: a child among them is a cycle (each lists the other) and is not
// expanded again. A child the user may not see (visible.go) is neither
// linked nor read, so that neither its state nor its inventory leaks.
func (s *Server) growTree(ctx context.Context, inv *inventory, depth int, above map[string]bool) {
	visible, err := s.visibleIn(ctx)
	for gi := range inv.Groups {
		g := &inv.Groups[gi]
		for ei := range g.Entries {
			e := &g.Entries[ei]
			if e.Path == "" {
				e.Trace = traceURL(e.id, e.Version)
				continue
			}
			k := kindNamed(e.id.GroupKind.Kind)
			if err != nil || !visible.Allows(k.name, e.Namespace) {
				e.Path, e.Trace, e.Note = "", traceURL(e.id, e.Version), "not visible to you"
				continue
			}
			obj := k.newObject()
			if err := s.opts.Reader.Get(ctx, client.ObjectKey{Namespace: e.Namespace, Name: e.Name}, obj); err != nil {
				if apierrors.IsNotFound(err) {
					e.Note = "not found"
				} else {
					e.Note = "cannot be read: " + err.Error()
				}
				continue
			}
			e.State = stateOf(obj)
			childInv, ok := inventoryOfObject(obj)
			switch {
			case !ok:
			case above[e.ID]:
				e.Note = "already shown above in this tree (a cycle)"
			case depth >= maxTreeDepth:
				if childInv != nil && len(childInv.Entries) > 0 {
					e.Note = "its inventory is on its page"
				}
			default:
				e.Child = inventoryOf(childInv)
				g.Nested = true
				above[e.ID] = true
				s.growTree(ctx, e.Child, depth+1, above)
				delete(above, e.ID)
			}
		}
	}
}

// walk calls fn with every entry of the tree, the inventory's own first,
// then those of each child's, generation by generation, so that a cap
// on the entries keeps the ones nearest the page's object.
func (inv *inventory) walk(fn func(*inventoryEntry)) {
	level := []*inventory{inv}
	for len(level) > 0 {
		var next []*inventory
		for _, in := range level {
			for gi := range in.Groups {
				for ei := range in.Groups[gi].Entries {
					e := &in.Groups[gi].Entries[ei]
					fn(e)
					if e.Child != nil {
						next = append(next, e.Child)
					}
				}
			}
		}
		level = next
	}
}

// traceURL is the trace page of the object id, of API version version:
// the inventory names the group and kind, and the version when it says
// one; without it the trace page is given the group alone.
func traceURL(id object.ObjMetadata, version string) string {
	v := url.Values{}
	if version != "" {
		v.Set("apiVersion", schema.GroupVersion{Group: id.GroupKind.Group, Version: version}.String())
	} else {
		v.Set("group", id.GroupKind.Group)
	}
	v.Set("kind", id.GroupKind.Kind)
	if id.Namespace != "" {
		v.Set("namespace", id.Namespace)
	}
	v.Set("name", id.Name)
	return "/trace?" + v.Encode()
}
