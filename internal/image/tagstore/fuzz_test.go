package tagstore

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// FuzzStore stores arbitrary tags under arbitrary object names: a name
// either is refused or its file is strictly inside the store's directory,
// and a store opened again (a restart) reads back the same tags and
// revision as were stored.
func FuzzStore(f *testing.F) {
	f.Add("flux-system", "web", "1.0.0\n1.1.0\nlatest\n1.0.0")
	f.Add("ns", "..", "a")
	f.Add("..", "x", "a")
	f.Add("a/b", "c", "a")
	f.Add("ns", "n", "")
	f.Add("ns", "n", "\n\na\n")
	f.Add("ns", "n", "v1\r\nv2")
	f.Add("ns", `a\b`, "x")
	f.Fuzz(func(t *testing.T, namespace, name, tags string) {
		parent := t.TempDir()
		dir := filepath.Join(parent, "store")
		s, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		list := strings.Split(tags, "\n")
		stored, _, err := s.Set(namespace, name, list)
		if err != nil {
			return
		}
		if stored.Revision != Revision(list) {
			t.Fatalf("Set stored revision %s, Revision says %s", stored.Revision, Revision(list))
		}
		p, err := s.path(namespace, name)
		if err != nil {
			t.Fatalf("Set stored %q/%q, which path refuses: %v", namespace, name, err)
		}
		if rel, err := filepath.Rel(dir, p); err != nil || !filepath.IsLocal(rel) {
			t.Fatalf("the tags of %q/%q are at %s, outside %s", namespace, name, p, dir)
		}
		if entries, _ := os.ReadDir(parent); len(entries) != 1 {
			t.Fatalf("storing %q/%q wrote beside the store: %v", namespace, name, entries)
		}
		again, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		got, err := again.Get(namespace, name)
		if err != nil || got == nil {
			t.Fatalf("Get after a restart = %v, %v", got, err)
		}
		if got.Revision != stored.Revision || !slices.Equal(got.Tags, stored.Tags) {
			t.Fatalf("after a restart the tags of %q/%q are %q (%s), %q (%s) were stored",
				namespace, name, got.Tags, got.Revision, stored.Tags, stored.Revision)
		}
	})
}
