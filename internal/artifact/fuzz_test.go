package artifact_test

import (
	"archive/tar"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferrycd/ferry/internal/artifact"
)

// FuzzUntar feeds arbitrary gzip streams to Untar and checks that nothing is
// ever written outside the target directory.
func FuzzUntar(f *testing.F) {
	f.Add(makeTarGz(f, []tarEntry{{name: "a/b.txt", body: "b"}}))
	f.Add(makeTarGz(f, []tarEntry{{name: "../evil", body: "x"}}))
	f.Add(makeTarGz(f, []tarEntry{{name: "l", typ: tar.TypeSymlink, linkname: ".."}, {name: "l/evil", body: "x"}}))
	f.Add(makeTarGz(f, []tarEntry{{name: "l", typ: tar.TypeSymlink, linkname: "a/../.."}}))
	f.Add(makeTarGz(f, []tarEntry{{name: "/abs", body: "x"}}))
	f.Add([]byte("not gzip"))
	f.Fuzz(func(t *testing.T, data []byte) {
		parent := t.TempDir()
		dir := filepath.Join(parent, "out")
		_ = artifact.Untar(bytes.NewReader(data), dir, artifact.UntarOptions{MaxSize: 1 << 20, MaxEntries: 1000})
		entries, err := os.ReadDir(parent)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if e.Name() != "out" {
				t.Fatalf("Untar created %s outside the target directory", e.Name())
			}
		}
		// Every symlink left behind must resolve inside dir.
		_ = filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
			if err != nil || info.Mode()&os.ModeSymlink == 0 {
				return nil
			}
			target, err := os.Readlink(p)
			if err != nil {
				return nil
			}
			if filepath.IsAbs(target) {
				t.Fatalf("absolute symlink %s -> %s", p, target)
			}
			resolved := filepath.Join(filepath.Dir(p), target)
			if resolved != dir && !strings.HasPrefix(resolved, dir+string(filepath.Separator)) {
				t.Fatalf("symlink %s -> %s leaves the directory", p, target)
			}
			return nil
		})
	})
}

// FuzzLocalPath checks that every path LocalPath accepts stays strictly
// inside the storage root.
func FuzzLocalPath(f *testing.F) {
	for _, seed := range []string{"gitrepository/ns/n/x.tar.gz", "../x", "a/../../b", "/etc/passwd", ".", "a//b/", `..\x`, "a/./../b"} {
		f.Add(seed)
	}
	s, err := artifact.NewStorage(f.TempDir(), "h:1")
	if err != nil {
		f.Fatal(err)
	}
	root := s.Root()
	f.Fuzz(func(t *testing.T, p string) {
		got, err := s.LocalPath(p)
		if err != nil {
			return
		}
		rel, err := filepath.Rel(root, got)
		if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
			t.Fatalf("LocalPath(%q) = %q is not strictly inside %q", p, got, root)
		}
	})
}

// FuzzArchiveNames checks that Archive either refuses an object name or
// writes strictly inside the storage root.
func FuzzArchiveNames(f *testing.F) {
	for _, seed := range [][3]string{{"GitRepository", "ns", "n"}, {"..", "..", ".."}, {"a/b", "c", "d"}, {"k", "ns", "../../x"}} {
		f.Add(seed[0], seed[1], seed[2])
	}
	s, err := artifact.NewStorage(filepath.Join(f.TempDir(), "root"), "h:1")
	if err != nil {
		f.Fatal(err)
	}
	src := f.TempDir()
	if err := os.WriteFile(filepath.Join(src, "f"), []byte("f"), 0o644); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, kind, ns, name string) {
		a, err := s.Archive(kind, ns, name, "r", src)
		if err != nil {
			return
		}
		p, err := s.LocalPath(a.Path)
		if err != nil {
			t.Fatalf("Archive returned path %q that LocalPath refuses: %v", a.Path, err)
		}
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("artifact not at %s: %v", p, err)
		}
		if err := s.Remove(kind, ns, name); err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzIgnoreFilter checks the ignore matcher never panics and answers the
// same twice, and that ConfinedPath never lets a path climb out.
func FuzzIgnoreFilter(f *testing.F) {
	f.Add("/tmp/\n!keep\n**/x", "a/b/c.yaml", false)
	f.Add("*.png\n# c\n", ".git/config", false)
	f.Add("[", "[a]", true)
	f.Add("!**/", "../..", true)
	f.Add("a/**/b\n\\#x", "a/x/y/b", false)
	f.Fuzz(func(t *testing.T, patterns, p string, isDir bool) {
		filter := artifact.NewIgnoreFilter(artifact.ReadPatterns(strings.NewReader(patterns), nil))
		if filter(p, isDir) != filter(p, isDir) {
			t.Fatalf("patterns %q: filter(%q) is not deterministic", patterns, p)
		}
		clean, err := artifact.ConfinedPath(p)
		if err != nil {
			return
		}
		root := filepath.FromSlash("/root/dir")
		joined := filepath.Join(root, filepath.FromSlash(clean))
		if joined != root && !strings.HasPrefix(joined, root+string(filepath.Separator)) {
			t.Fatalf("ConfinedPath(%q) = %q leaves the root: %s", p, clean, joined)
		}
		if strings.Contains(clean, "\\") || strings.Contains(clean, "\x00") {
			t.Fatalf("ConfinedPath(%q) = %q", p, clean)
		}
	})
}

// FuzzCopyToPath copies an artifact with arbitrary fromPath and toPath and
// checks nothing is ever written outside the destination directory.
func FuzzCopyToPath(f *testing.F) {
	for _, seed := range [][2]string{{"", "lib"}, {"a", "x/y"}, {"../a", "b"}, {"a", "../../x"}, {"a/b.txt", "/abs"}, {".", "."}, {"a/../..", "esc/../.."}} {
		f.Add(seed[0], seed[1])
	}
	s := newStorage(f)
	src := f.TempDir()
	writeTree(f, src, map[string]string{"a/b.txt": "b", "c.txt": "c"})
	a, err := s.Archive("GitRepository", "ns", "lib", "rev", src)
	if err != nil {
		f.Fatal(err)
	}
	fetcher := &artifact.Fetcher{Storage: s}
	f.Fuzz(func(t *testing.T, from, to string) {
		parent := t.TempDir()
		dir := filepath.Join(parent, "dir")
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		// A symlink in the destination pointing out of it.
		if err := os.Symlink(parent, filepath.Join(dir, "up")); err != nil {
			t.Fatal(err)
		}
		_ = fetcher.CopyToPath(context.Background(), a, from, dir, to)
		entries, err := os.ReadDir(parent)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if e.Name() != "dir" {
				t.Fatalf("CopyToPath(%q, %q) wrote %s outside the directory", from, to, e.Name())
			}
		}
	})
}
