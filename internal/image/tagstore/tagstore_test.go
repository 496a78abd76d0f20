package tagstore

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestSetGetPersistDelete(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if l, err := s.Get("apps", "web"); err != nil || l != nil {
		t.Fatalf("Get before Set = %v, %v; want nil, nil", l, err)
	}
	l, changed, err := s.Set("apps", "web", []string{"1.2.0", "1.10.0", "1.2.0", "latest"})
	if err != nil || !changed {
		t.Fatalf("Set = %v, %v; want changed", changed, err)
	}
	if want := []string{"1.10.0", "1.2.0", "latest"}; !slices.Equal(l.Tags, want) {
		t.Errorf("tags = %v, want sorted and unique %v", l.Tags, want)
	}
	if l.Revision != Revision([]string{"latest", "1.2.0", "1.10.0"}) {
		t.Errorf("revision %s depends on the order of the tags", l.Revision)
	}
	p := filepath.Join(dir, "apps", "web.tags")
	before, _ := os.Stat(p)

	// The same list again is not written.
	if _, changed, err := s.Set("apps", "web", []string{"latest", "1.10.0", "1.2.0"}); err != nil || changed {
		t.Fatalf("Set of the same tags = %v, %v; want unchanged", changed, err)
	}
	if after, _ := os.Stat(p); !after.ModTime().Equal(before.ModTime()) {
		t.Error("an unchanged list was written again")
	}

	// A new store over the same directory (a restart) reads it back.
	s2, _ := Open(dir)
	got, err := s2.Get("apps", "web")
	if err != nil || got == nil || got.Revision != l.Revision || !slices.Equal(got.Tags, l.Tags) {
		t.Fatalf("after a restart Get = %+v, %v; want %+v", got, err, l)
	}
	if err := s2.Delete("apps", "web"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); !os.IsNotExist(err) {
		t.Errorf("Delete left %s", p)
	}
	if l, _ := s2.Get("apps", "web"); l != nil {
		t.Errorf("Get after Delete = %+v", l)
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "apps"))
	for _, e := range entries {
		t.Errorf("left behind: %s", e.Name())
	}
}

func TestRefusesNamesLeavingTheStore(t *testing.T) {
	s, _ := Open(t.TempDir())
	for _, name := range [][2]string{{"..", "x"}, {"apps", "../../etc/passwd"}, {"a/b", "c"}, {"", "x"}} {
		if _, _, err := s.Set(name[0], name[1], []string{"1"}); err == nil {
			t.Errorf("Set(%q, %q) was accepted", name[0], name[1])
		}
	}
}
