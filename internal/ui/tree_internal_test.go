package ui

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/fluxcd/cli-utils/pkg/object"
	"github.com/go-logr/logr"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/internal/scheme"
)

// ksID is the inventory ID of the Kustomization apps/name.
func ksID(name string) string { return "apps_" + name + "_kustomize.toolkit.fluxcd.io_Kustomization" }

// treeOf grows the tree of the Kustomization root among the
// Kustomizations of children (name: the names in its inventory).
func treeOf(t *testing.T, root string, children map[string][]string) *inventory {
	t.Helper()
	b := fake.NewClientBuilder().WithScheme(scheme.New())
	for name, inv := range children {
		ks := &kustomizev1.Kustomization{ObjectMeta: metav1.ObjectMeta{Namespace: "apps", Name: name}}
		ks.Status.Inventory = &kustomizev1.ResourceInventory{}
		for _, c := range inv {
			ks.Status.Inventory.Entries = append(ks.Status.Inventory.Entries, kustomizev1.ResourceRef{ID: ksID(c), Version: "v1"})
		}
		ks.Status.Inventory.Entries = append(ks.Status.Inventory.Entries, kustomizev1.ResourceRef{ID: "apps_" + name + "-cm__ConfigMap", Version: "v1"})
		b = b.WithObjects(ks)
	}
	s, err := New(Options{Reader: b.Build(), Log: logr.Discard()})
	if err != nil {
		t.Fatal(err)
	}
	ks := &kustomizev1.Kustomization{}
	if err := s.opts.Reader.Get(context.Background(), client.ObjectKey{Namespace: "apps", Name: root}, ks); err != nil {
		t.Fatal(err)
	}
	k := kindNamed(kustomizev1.KustomizationKind)
	inv := inventoryOf(ks.Status.Inventory)
	s.growTree(context.Background(), inv, 1, map[string]bool{objectID(k, ks): true})
	return inv
}

// child is the entry of the Kustomization name in inv.
func child(t *testing.T, inv *inventory, name string) *inventoryEntry {
	t.Helper()
	if inv == nil {
		t.Fatalf("no inventory holds %s", name)
	}
	for gi := range inv.Groups {
		for ei := range inv.Groups[gi].Entries {
			if e := &inv.Groups[gi].Entries[ei]; e.ID == ksID(name) {
				return e
			}
		}
	}
	t.Fatalf("the inventory has no %s: %+v", name, inv)
	return nil
}

func TestTreeStopsAtItsDepth(t *testing.T) {
	// k0 → k1 → … → k6, each holding the next and a ConfigMap.
	children := map[string][]string{}
	for i := range 7 {
		children[fmt.Sprintf("k%d", i)] = []string{fmt.Sprintf("k%d", i+1)}
	}
	inv := treeOf(t, "k0", children)
	e := child(t, inv, "k1")
	for depth := 2; depth <= maxTreeDepth; depth++ {
		if e.Child == nil || e.State == "" {
			t.Fatalf("k%d (inventory %d) is not expanded: %+v", depth-1, depth, e)
		}
		e = child(t, e.Child, fmt.Sprintf("k%d", depth))
	}
	if e.Child != nil || e.Note != "its inventory is on its page" {
		t.Errorf("k%d, below the depth, = %+v", maxTreeDepth, e)
	}
	var n int
	inv.walk(func(*inventoryEntry) { n++ })
	if want := 2 * maxTreeDepth; n != want {
		t.Errorf("the tree has %d entries, want %d", n, want)
	}
}

func TestTreeCycleTerminates(t *testing.T) {
	tests := map[string]map[string][]string{
		"itself":      {"a": {"a"}},
		"each other":  {"a": {"b"}, "b": {"a"}},
		"three":       {"a": {"b"}, "b": {"c"}, "c": {"a"}},
		"a missing":   {"a": {"b"}, "b": {"gone"}},
		"two parents": {"a": {"b", "c"}, "b": {"c"}, "c": nil},
	}
	for name, children := range tests {
		t.Run(name, func(t *testing.T) {
			inv := treeOf(t, "a", children)
			var cycles, missing int
			inv.walk(func(e *inventoryEntry) {
				switch e.Note {
				case "already shown above in this tree (a cycle)":
					cycles++
					if e.ID != ksID("a") {
						t.Errorf("%s is called a cycle", e.ID)
					}
				case "not found":
					missing++
				}
			})
			wantCycles := map[string]int{"itself": 1, "each other": 1, "three": 1}[name]
			if cycles != wantCycles {
				t.Errorf("%d cycles, want %d", cycles, wantCycles)
			}
			if want := map[string]int{"a missing": 1}[name]; missing != want {
				t.Errorf("%d not found, want %d", missing, want)
			}
		})
	}
}

func TestTraceURL(t *testing.T) {
	tests := map[string]struct {
		id      object.ObjMetadata
		version string
		want    string
	}{
		"apps": {object.ObjMetadata{Namespace: "web", Name: "api", GroupKind: schema.GroupKind{Group: "apps", Kind: "Deployment"}}, "v1",
			"/trace?apiVersion=apps%2Fv1&kind=Deployment&name=api&namespace=web"},
		"core": {object.ObjMetadata{Namespace: "web", Name: "api", GroupKind: schema.GroupKind{Kind: "Service"}}, "v1",
			"/trace?apiVersion=v1&kind=Service&name=api&namespace=web"},
		"cluster-scoped": {object.ObjMetadata{Name: "web", GroupKind: schema.GroupKind{Kind: "Namespace"}}, "v1",
			"/trace?apiVersion=v1&kind=Namespace&name=web"},
		"no version": {object.ObjMetadata{Namespace: "web", Name: "api", GroupKind: schema.GroupKind{Group: "apps", Kind: "Deployment"}}, "",
			"/trace?group=apps&kind=Deployment&name=api&namespace=web"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := traceURL(tt.id, tt.version); got != tt.want {
				t.Errorf("traceURL = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestTreeHidesWhatTheUserMayNotSee(t *testing.T) {
	// apps/root holds a Kustomization of the namespace team-b, which the
	// user may not see, and one of apps, which holds another of team-b.
	root := &kustomizev1.Kustomization{ObjectMeta: metav1.ObjectMeta{Namespace: "apps", Name: "root"},
		Spec: kustomizev1.KustomizationSpec{DependsOn: []kustomizev1.DependencyReference{{Name: "db", Namespace: "team-b"}}}}
	root.Status.Inventory = &kustomizev1.ResourceInventory{Entries: []kustomizev1.ResourceRef{
		{ID: "team-b_db_kustomize.toolkit.fluxcd.io_Kustomization", Version: "v1"},
		{ID: "apps_web_kustomize.toolkit.fluxcd.io_Kustomization", Version: "v1"},
	}}
	web := &kustomizev1.Kustomization{ObjectMeta: metav1.ObjectMeta{Namespace: "apps", Name: "web"}}
	web.Status.Inventory = &kustomizev1.ResourceInventory{Entries: []kustomizev1.ResourceRef{
		{ID: "team-b_cache_kustomize.toolkit.fluxcd.io_Kustomization", Version: "v1"},
		{ID: "apps_web-settings__ConfigMap", Version: "v1"},
	}}
	db := &kustomizev1.Kustomization{ObjectMeta: metav1.ObjectMeta{Namespace: "team-b", Name: "db"}}
	db.Status.Inventory = &kustomizev1.ResourceInventory{Entries: []kustomizev1.ResourceRef{{ID: "team-b_db-password__Secret", Version: "v1"}}}
	cache := &kustomizev1.Kustomization{ObjectMeta: metav1.ObjectMeta{Namespace: "team-b", Name: "cache"}}
	cache.Status.Inventory = &kustomizev1.ResourceInventory{Entries: []kustomizev1.ResourceRef{{ID: "team-b_cache-settings__ConfigMap", Version: "v1"}}}
	c := fake.NewClientBuilder().WithScheme(scheme.New()).WithObjects(root, web, db, cache).Build()
	s, err := New(Options{
		Reader:  c,
		Actions: func(*http.Request) (client.Client, string, error) { return c, "alice", nil },
		Visible: func(*http.Request) (func(kind, namespace string) bool, error) {
			return func(_, ns string) bool { return ns == "apps" }, nil
		},
		Log: logr.Discard(),
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/o/Kustomization/apps/root", "/o/Kustomization/apps/root/health"} {
		resp, body := get(t, s.Handler(), path)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s = %d:\n%s", path, resp.StatusCode, body)
		}
		mustContain(t, path, body, "apps/web-settings")
		for _, hidden := range []string{"db-password", "cache-settings", `href="/o/Kustomization/team-b/`} {
			if strings.Contains(body, hidden) {
				t.Errorf("%s shows %s, of a namespace the user may not see", path, hidden)
			}
		}
	}
	_, body := get(t, s.Handler(), "/o/Kustomization/apps/root")
	mustContain(t, "the page", body, "not visible to you")
}
