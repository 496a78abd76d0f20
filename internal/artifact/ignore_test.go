package artifact_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ferrycd/ferry/internal/artifact"
)

func strPtr(s string) *string { return &s }

func TestIgnoreFilter(t *testing.T) {
	tree := map[string]string{
		"deploy/app.yaml":          "a",
		"deploy/logo.png":          "png",
		"docs/pic.jpg":             "jpg",
		"release.tar.gz":           "tgz",
		".github/workflows/ci.yml": "ci",
		".gitlab-ci.yml":           "ci",
		".gitignore":               "x",
		".gitmodules":              "x",
		"sub/.sops.yaml":           "sops",
		"sub/.goreleaser.yml":      "gr",
		"sub/.flux.yaml":           "flux",
		"sub/kept.yaml":            "k",
		"secret/key.txt":           "s",
		"secret/public.txt":        "p",
		"tmp/cache.bin":            "c",
	}
	for _, tc := range []struct {
		name        string
		sourceignre map[string]string // extra .sourceignore files
		spec        *string
		want        []string
	}{{
		name: "flux defaults without patterns",
		want: []string{"deploy/app.yaml", "secret/key.txt", "secret/public.txt", "sub/kept.yaml", "tmp/cache.bin"},
	}, {
		name: "spec.ignore replaces the defaults but not the VCS exclusions",
		spec: strPtr("# comment\n\n/tmp/\n"),
		want: []string{".github/workflows/ci.yml", ".gitlab-ci.yml", "deploy/app.yaml", "deploy/logo.png", "docs/pic.jpg",
			"release.tar.gz", "secret/key.txt", "secret/public.txt", "sub/.flux.yaml", "sub/.goreleaser.yml", "sub/.sops.yaml", "sub/kept.yaml"},
	}, {
		name:        "a .sourceignore in a subdirectory is scoped to it",
		sourceignre: map[string]string{"secret/.sourceignore": "*.txt\n!public.txt\n"},
		want: []string{".github/workflows/ci.yml", ".gitlab-ci.yml", "deploy/app.yaml", "deploy/logo.png", "docs/pic.jpg",
			"release.tar.gz", "secret/.sourceignore", "secret/public.txt", "sub/.flux.yaml", "sub/.goreleaser.yml", "sub/.sops.yaml",
			"sub/kept.yaml", "tmp/cache.bin"},
	}, {
		name:        "spec.ignore comes after .sourceignore and wins",
		sourceignre: map[string]string{".sourceignore": "*.yaml\n*.yml\n"},
		spec:        strPtr("!/sub/kept.yaml\n"),
		want: []string{".sourceignore", "deploy/logo.png", "docs/pic.jpg", "release.tar.gz", "secret/key.txt", "secret/public.txt",
			"sub/kept.yaml", "tmp/cache.bin"},
	}, {
		name: "a re-included file below an excluded directory is kept",
		spec: strPtr("/secret/\n!/secret/public.txt\n"),
		want: []string{".github/workflows/ci.yml", ".gitlab-ci.yml", "deploy/app.yaml", "deploy/logo.png", "docs/pic.jpg",
			"release.tar.gz", "secret/public.txt", "sub/.flux.yaml", "sub/.goreleaser.yml", "sub/.sops.yaml", "sub/kept.yaml", "tmp/cache.bin"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			src := t.TempDir()
			writeTree(t, src, tree)
			writeTree(t, src, tc.sourceignre)
			f, err := artifact.IgnoreFilter(src, tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			s := newStorage(t)
			a, err := s.Archive("GitRepository", "ns", "app", "rev", src, artifact.WithFilter(f))
			if err != nil {
				t.Fatal(err)
			}
			file, _ := s.LocalPath(a.Path)
			var got []string
			for _, n := range tarNames(t, file) {
				if !strings.HasSuffix(n, "/") {
					got = append(got, n)
				}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("archived files = %q\nwant             %q", got, tc.want)
			}
		})
	}
}

func TestArchiveFilterDirectoryEntries(t *testing.T) {
	src := t.TempDir()
	writeTree(t, src, map[string]string{"a/x.txt": "x", "a/b/y.txt": "y", "c/z.txt": "z", "keep/e/f.txt": "f"})
	f := artifact.NewIgnoreFilter(artifact.ReadPatterns(strings.NewReader("/a/\n!/a/b/y.txt\n/c/\n"), nil))
	s := newStorage(t)
	a, err := s.Archive("GitRepository", "ns", "app", "rev", src, artifact.WithFilter(f))
	if err != nil {
		t.Fatal(err)
	}
	file, _ := s.LocalPath(a.Path)
	// An excluded directory gets its entry only when something below it
	// is archived; an excluded directory with nothing kept disappears.
	want := []string{"a/", "a/b/", "a/b/y.txt", "keep/", "keep/e/", "keep/e/f.txt"}
	if got := tarNames(t, file); !reflect.DeepEqual(got, want) {
		t.Errorf("entries = %q\nwant      %q", got, want)
	}
}

func TestArchiveWithoutFilterUnchanged(t *testing.T) {
	src := t.TempDir()
	writeTree(t, src, map[string]string{"a.png": "p", "b/c.yaml": "c"})
	s := newStorage(t)
	a1, err := s.Archive("GitRepository", "ns", "app", "rev", src)
	if err != nil {
		t.Fatal(err)
	}
	a2, err := s.Archive("GitRepository", "ns", "app", "rev", src, artifact.WithFilter(func(string, bool) bool { return false }))
	if err != nil {
		t.Fatal(err)
	}
	if a1.Digest != a2.Digest {
		t.Errorf("a filter excluding nothing changed the digest: %s != %s", a1.Digest, a2.Digest)
	}
}

func TestConfinedPath(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		bad      bool
	}{
		{in: "", want: "."},
		{in: ".", want: "."},
		{in: "./", want: "."},
		{in: "a", want: "a"},
		{in: "./a/b/", want: "a/b"},
		{in: "a//b", want: "a/b"},
		{in: "..", bad: true},
		{in: "../a", bad: true},
		{in: "a/../../b", bad: true},
		{in: "a/../b", bad: true},
		{in: "/etc", bad: true},
		{in: `a\..\b`, bad: true},
		{in: "a\x00b", bad: true},
	} {
		got, err := artifact.ConfinedPath(tc.in)
		switch {
		case tc.bad && !errors.Is(err, artifact.ErrUnsafePath):
			t.Errorf("ConfinedPath(%q) = %q, %v; want ErrUnsafePath", tc.in, got, err)
		case !tc.bad && (err != nil || got != tc.want):
			t.Errorf("ConfinedPath(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestDirSize(t *testing.T) {
	src := t.TempDir()
	writeTree(t, src, map[string]string{"a": "12345", "b/c": "123456", ".git/objects/x": "1234567890"})
	if err := os.Symlink("/etc/passwd", filepath.Join(src, "link")); err != nil {
		t.Fatal(err)
	}
	n, err := artifact.DirSize(src, 0)
	if err != nil || n != 21 {
		t.Errorf("DirSize = %d, %v; want 21", n, err)
	}
	if _, err := artifact.DirSize(src, 20); !errors.Is(err, artifact.ErrTooLarge) || !strings.Contains(err.Error(), "20 bytes") {
		t.Errorf("DirSize past the limit: %v; want ErrTooLarge naming the limit", err)
	}
	if _, err := artifact.DirSize(src, 21); err != nil {
		t.Errorf("DirSize at the limit: %v", err)
	}
}

func TestCopyToPath(t *testing.T) {
	s := newStorage(t)
	src := t.TempDir()
	writeTree(t, src, map[string]string{"charts/app/Chart.yaml": "chart", "charts/app/t/x.yaml": "x", "README.md": "r"})
	a, err := s.Archive("GitRepository", "ns", "lib", "rev", src)
	if err != nil {
		t.Fatal(err)
	}
	f := &artifact.Fetcher{Storage: s}
	ctx := context.Background()

	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"own.yaml": "own", "vendor/app/Chart.yaml": "old"})
	if err := f.CopyToPath(ctx, a, "charts/app", dir, "vendor/app"); err != nil {
		t.Fatal(err)
	}
	if err := f.CopyToPath(ctx, a, "", dir, "lib"); err != nil {
		t.Fatal(err)
	}
	if err := f.CopyToPath(ctx, a, "./README.md", dir, "docs/LIB.md"); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"own.yaml": "own", "vendor/app/Chart.yaml": "chart", "vendor/app/t/x.yaml": "x",
		"lib/charts/app/Chart.yaml": "chart", "lib/charts/app/t/x.yaml": "x", "lib/README.md": "r", "docs/LIB.md": "r",
	}
	if got := readTree(t, dir); !reflect.DeepEqual(got, want) {
		t.Errorf("tree = %v\nwant   %v", got, want)
	}

	for _, tc := range []struct{ from, to, msg string }{
		{"../x", "a", "fromPath"},
		{"", "../../etc", "toPath"},
		{"", "/abs", "toPath"},
		{"missing", "a", "does not exist"},
	} {
		err := f.CopyToPath(ctx, a, tc.from, dir, tc.to)
		if err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("CopyToPath(%q, %q) = %v; want an error about %s", tc.from, tc.to, err, tc.msg)
		}
	}

	// A symlink already in the destination cannot redirect the copy.
	outside := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(dir, "escape")); err != nil {
		t.Fatal(err)
	}
	if err := f.CopyToPath(ctx, a, "", dir, "escape/x"); err == nil {
		t.Error("CopyToPath wrote through a symlink leaving the directory")
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Errorf("CopyToPath wrote outside the directory: %v", entries)
	}
}
