package chart

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzConfinedPath checks that an accepted path never leaves the root.
func FuzzConfinedPath(f *testing.F) {
	for _, s := range []string{"charts/app", ".", "..", "../x", "a/../..", "/abs", "a//b/./c", "..a", "a/..", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		got, err := ConfinedPath(p)
		if err != nil {
			return
		}
		if got != "." && !filepath.IsLocal(filepath.FromSlash(got)) {
			t.Fatalf("ConfinedPath(%q) = %q, which is not local", p, got)
		}
		root := "/srv/artifact"
		joined := filepath.Join(root, filepath.FromSlash(got))
		if joined != root && !strings.HasPrefix(joined, root+string(filepath.Separator)) {
			t.Fatalf("ConfinedPath(%q) = %q joins to %q, outside %q", p, got, joined, root)
		}
	})
}

// FuzzLoadDir loads arbitrary chart paths from an artifact that holds a
// chart, a symlink to a chart outside it and a symlink to a secret outside
// it: nothing outside may ever be loaded.
func FuzzLoadDir(f *testing.F) {
	for _, s := range []string{"chart", "./chart", "link", "chart/../link", "../outside/chart", "chart/templates/..", "bad/secret/..", "/", "..", "abs/charts/up", "bad", "abs"} {
		f.Add(s)
	}
	base := f.TempDir()
	root, outside := filepath.Join(base, "root"), filepath.Join(base, "outside")
	writeTree(f, outside, merge(chartFiles("chart", "escaped", "6.6.6"), map[string]string{"secret": "SECRET"}))
	writeTree(f, root, merge(chartFiles("chart", "app", "1.0.0"), chartFiles("bad", "bad", "1.0.0"), chartFiles("abs", "abs", "1.0.0")))
	symlink(f, root, "../outside/chart", "link")
	symlink(f, root, "../../outside", "bad/secret")
	symlink(f, root, "../../../outside/secret", "bad/templates/s.yaml")
	symlink(f, root, filepath.Join(outside, "secret"), "abs/files/abs")
	symlink(f, root, "../chart", "abs/charts/up")
	f.Fuzz(func(t *testing.T, p string) {
		ch, err := LoadDir(root, p)
		if err != nil {
			return
		}
		if ch.Name() == "escaped" {
			t.Fatalf("LoadDir(%q) loaded the chart outside the artifact", p)
		}
		for _, file := range ch.Raw {
			if bytes.Contains(file.Data, []byte("SECRET")) {
				t.Fatalf("LoadDir(%q) read %s from outside the artifact", p, file.Name)
			}
		}
	})
}
