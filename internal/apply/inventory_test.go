package apply

import (
	"slices"
	"testing"

	"github.com/fluxcd/cli-utils/pkg/object"
	"github.com/fluxcd/pkg/ssa"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
)

func obj(apiVersion, kind, namespace, name string) *unstructured.Unstructured {
	o := &unstructured.Unstructured{}
	o.SetAPIVersion(apiVersion)
	o.SetKind(kind)
	o.SetNamespace(namespace)
	o.SetName(name)
	return o
}

func TestID(t *testing.T) {
	tests := map[string]struct {
		obj  *unstructured.Unstructured
		want string
	}{
		"core namespaced": {obj("v1", "ConfigMap", "apps", "web"), "apps_web__ConfigMap"},
		"grouped":         {obj("apps/v1", "Deployment", "apps", "web"), "apps_web_apps_Deployment"},
		"cluster scoped":  {obj("v1", "Namespace", "", "apps"), "_apps__Namespace"},
		"colon in name":   {obj("rbac.authorization.k8s.io/v1", "ClusterRole", "", "system:web"), "_system__web_rbac.authorization.k8s.io_ClusterRole"},
		"custom resource": {obj("source.toolkit.fluxcd.io/v1", "GitRepository", "flux-system", "podinfo"), "flux-system_podinfo_source.toolkit.fluxcd.io_GitRepository"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := ID(tt.obj); got != tt.want {
				t.Errorf("ID = %q, want %q", got, tt.want)
			}
		})
	}
}

func changeSet(objs ...*unstructured.Unstructured) *ssa.ChangeSet {
	cs := ssa.NewChangeSet()
	for _, o := range objs {
		cs.Add(ssa.ChangeSetEntry{
			ObjMetadata:  object.UnstructuredToObjMetadata(o),
			GroupVersion: o.GroupVersionKind().Version,
			Subject:      o.GetKind() + "/" + o.GetName(),
			Action:       ssa.CreatedAction,
		})
	}
	return cs
}

func TestInventoryRoundTrip(t *testing.T) {
	objs := []*unstructured.Unstructured{
		obj("v1", "Namespace", "", "apps"),
		obj("apps/v1", "Deployment", "apps", "web"),
		obj("rbac.authorization.k8s.io/v1", "ClusterRole", "", "system:web"),
	}
	inv := Inventory(changeSet(objs...))
	want := []kustomizev1.ResourceRef{
		{ID: "_apps__Namespace", Version: "v1"},
		{ID: "apps_web_apps_Deployment", Version: "v1"},
		{ID: "_system__web_rbac.authorization.k8s.io_ClusterRole", Version: "v1"},
	}
	if !slices.Equal(inv.Entries, want) {
		t.Fatalf("entries = %v, want %v", inv.Entries, want)
	}
	back, err := Objects(inv)
	if err != nil {
		t.Fatal(err)
	}
	for i, o := range back {
		if o.GroupVersionKind() != objs[i].GroupVersionKind() || o.GetNamespace() != objs[i].GetNamespace() || o.GetName() != objs[i].GetName() {
			t.Errorf("object %d = %s %s/%s, want %s %s/%s", i, o.GroupVersionKind(), o.GetNamespace(), o.GetName(),
				objs[i].GroupVersionKind(), objs[i].GetNamespace(), objs[i].GetName())
		}
	}
	if empty := Inventory(nil); empty.Entries == nil || len(empty.Entries) != 0 {
		t.Errorf("Inventory(nil) = %#v, want empty entries", empty)
	}
}

func TestStale(t *testing.T) {
	ns := obj("v1", "Namespace", "", "apps")
	web := obj("apps/v1", "Deployment", "apps", "web")
	cm := obj("v1", "ConfigMap", "apps", "settings")
	tests := map[string]struct {
		old, current *kustomizev1.ResourceInventory
		names        []string
	}{
		"nothing before":  {old: nil, current: Inventory(changeSet(ns, web))},
		"nothing removed": {old: Inventory(changeSet(ns, web)), current: Inventory(changeSet(web, ns))},
		"one removed": {
			old: Inventory(changeSet(ns, web, cm)), current: Inventory(changeSet(ns, web)),
			names: []string{"settings"},
		},
		"everything removed": {
			old: Inventory(changeSet(ns, cm)), current: nil,
			names: []string{"apps", "settings"},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			stale, err := Stale(tt.old, tt.current)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, o := range stale {
				names = append(names, o.GetName())
			}
			if !slices.Equal(names, tt.names) {
				t.Errorf("stale = %v, want %v", names, tt.names)
			}
		})
	}
}

func TestObjectsRejectsBadEntries(t *testing.T) {
	tests := map[string]kustomizev1.ResourceRef{
		"malformed ID":    {ID: "not-an-id", Version: "v1"},
		"missing version": {ID: "apps_web_apps_Deployment"},
	}
	for name, ref := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := Objects(&kustomizev1.ResourceInventory{Entries: []kustomizev1.ResourceRef{ref}}); err == nil {
				t.Error("want an error")
			}
		})
	}
}
