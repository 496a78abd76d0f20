package apply

import (
	"strings"
	"testing"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
)

// FuzzInventory reads arbitrary inventory entries back into objects, as
// garbage collection does: an entry is refused or its object has the
// entry's version and writes back to the same ID (so a prune deletes what
// the inventory names, not another object); Stale lists exactly the old
// entries not in the current inventory.
func FuzzInventory(f *testing.F) {
	for _, s := range [][3]string{
		{"apps_web_apps_Deployment", "v1", "apps_web_apps_Deployment"},
		{"_ns__Namespace", "v1", ""},
		{"default_a__b_rbac.authorization.k8s.io_Role", "v1", "x_y__ConfigMap"},
		{"ns_n_g", "v1", ""},
		{"ns_n_g_K_extra", "v1", ""},
		{"ns_n___K", "v1", ""},
		{"ns_n__", "", ""},
		{"__", "v1", "__"},
		{"ns_a____b__K", "v1beta1", ""},
	} {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, id, version, current string) {
		inv := &kustomizev1.ResourceInventory{Entries: []kustomizev1.ResourceRef{{ID: id, Version: version}}}
		objs, err := Objects(inv)
		if err != nil {
			return
		}
		if len(objs) != 1 {
			t.Fatalf("Objects of one entry = %d objects", len(objs))
		}
		obj := objs[0]
		// Flux's format writes a colon in an RBAC object's name as "__"
		// and reads every "__" of a name back as a colon: a Role named
		// "a__b" reads back as "a:b". That ambiguity is Flux's; a prune
		// only deletes objects with the Kustomization's owner labels, so
		// it leaves such an object behind rather than deleting another.
		if got := ID(obj); got != id && !strings.Contains(id, "__") {
			t.Fatalf("inventory entry %q reads back as an object of ID %q", id, got)
		}
		if obj.GroupVersionKind().Version != version || version == "" {
			t.Fatalf("inventory entry %q of version %q reads back as %s", id, version, obj.GroupVersionKind())
		}
		cur := &kustomizev1.ResourceInventory{}
		for _, c := range strings.Split(current, "\n") {
			cur.Entries = append(cur.Entries, kustomizev1.ResourceRef{ID: c, Version: "v1"})
		}
		stale, err := Stale(inv, cur)
		if err != nil {
			t.Fatalf("Stale: %v", err)
		}
		kept := strings.Contains("\n"+current+"\n", "\n"+id+"\n")
		if kept != (len(stale) == 0) {
			t.Fatalf("Stale(%q, %q) = %d objects", id, current, len(stale))
		}
	})
}
