package oci

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferrycd/ferry/internal/artifact"
)

func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func TestPackPathIsTarGz(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{"deploy.yaml": "kind: Deployment\n", "base/svc.yaml": "kind: Service\n", "z/y/x.txt": "x"}
	writeTree(t, dir, files)
	if err := os.Chmod(filepath.Join(dir, "z/y/x.txt"), 0o755); err != nil {
		t.Fatal(err)
	}
	got, err := PackPath(dir, PackOptions{Ignore: DefaultIgnorePaths})
	if err != nil {
		t.Fatal(err)
	}
	want, err := TarGz(files)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("PackPath of a directory differs from TarGz of its files")
	}

	one, err := PackPath(filepath.Join(dir, "base/svc.yaml"), PackOptions{})
	if err != nil {
		t.Fatal(err)
	}
	digests, err := TarGzDigests(bytes.NewReader(one), 0)
	if err != nil || len(digests) != 1 || digests["svc.yaml"] == "" {
		t.Errorf("a single file packs as %v, %v; want svc.yaml alone", digests, err)
	}
}

func TestPackPathIgnores(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"app.yaml":             "a",
		"logo.png":             "png",
		".git/config":          "[core]",
		".gitignore":           "x",
		"docs/readme.md":       "doc",
		"docs/keep.md":         "keep",
		"secret/values.yaml":   "s",
		"charts/.sourceignore": "*.tgz\n",
		"charts/c.tgz":         "tgz",
		"charts/c.yaml":        "c",
		".sourceignore":        "# comment\n/docs/*\n!/docs/keep.md\n",
	})
	got, err := PackPath(dir, PackOptions{Ignore: append(DefaultIgnorePaths, "secret/")})
	if err != nil {
		t.Fatal(err)
	}
	digests, err := TarGzDigests(bytes.NewReader(got), 0)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for n := range digests {
		names = append(names, n)
	}
	want := map[string]bool{"app.yaml": true, "docs/keep.md": true, "charts/.sourceignore": true, "charts/c.yaml": true, ".sourceignore": true}
	if len(names) != len(want) {
		t.Errorf("packed %v, want %v", names, want)
	}
	for _, n := range names {
		if !want[n] {
			t.Errorf("packed %s, which is ignored", n)
		}
	}
}

func TestPackPathSymlinks(t *testing.T) {
	outside := t.TempDir()
	writeTree(t, outside, map[string]string{"passwd": "root:x:0:0"})

	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"real/app.yaml": "a"})
	if err := os.Symlink("real/app.yaml", filepath.Join(dir, "link.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("real", filepath.Join(dir, "linkdir")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(".", filepath.Join(dir, "real/loop")); err != nil {
		t.Fatal(err)
	}
	got, err := PackPath(dir, PackOptions{})
	if err != nil {
		t.Fatal(err)
	}
	digests, err := TarGzDigests(bytes.NewReader(got), 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"real/app.yaml", "link.yaml", "linkdir/app.yaml"} {
		if digests[n] == "" || digests[n] != digests["real/app.yaml"] {
			t.Errorf("%s not packed as the file it links to: %v", n, digests)
		}
	}

	for name, target := range map[string]string{
		"escape":   filepath.Join(outside, "passwd"),
		"relative": "",
		"dangling": "nowhere",
	} {
		d := t.TempDir()
		writeTree(t, d, map[string]string{"app.yaml": "a"})
		if name == "relative" {
			rel, err := filepath.Rel(d, outside)
			if err != nil {
				t.Fatal(err)
			}
			target = filepath.Join(rel, "passwd")
		}
		if err := os.Symlink(target, filepath.Join(d, "evil")); err != nil {
			t.Fatal(err)
		}
		if _, err := PackPath(d, PackOptions{}); !errors.Is(err, ErrSymlinkEscape) {
			t.Errorf("%s: PackPath error %v, want ErrSymlinkEscape", name, err)
		}
	}
}

func TestPackPathSizeLimit(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"a": strings.Repeat("a", 600), "b": strings.Repeat("b", 600)})
	if _, err := PackPath(dir, PackOptions{MaxSize: 1000}); !errors.Is(err, artifact.ErrTooLarge) {
		t.Errorf("error %v, want ErrTooLarge", err)
	}
	if _, err := PackPath(dir, PackOptions{MaxSize: 1200}); err != nil {
		t.Errorf("at the limit: %v", err)
	}
}

func TestParseArtifactURL(t *testing.T) {
	ok := map[string]struct{ repo, tag, digest, ref string }{
		"oci://127.0.0.1:5000/fleet/apps:v1":                        {"127.0.0.1:5000/fleet/apps", "v1", "", "127.0.0.1:5000/fleet/apps:v1"},
		"oci://ghcr.io/acme/manifests":                              {"ghcr.io/acme/manifests", "", "", "ghcr.io/acme/manifests:latest"},
		"oci://ghcr.io/acme/app@sha256:" + strings.Repeat("ab", 32): {"ghcr.io/acme/app", "", "sha256:" + strings.Repeat("ab", 32), "ghcr.io/acme/app@sha256:" + strings.Repeat("ab", 32)},
	}
	for in, want := range ok {
		u, err := ParseArtifactURL(in, false)
		if err != nil || u.Repository.String() != want.repo || u.Tag != want.tag || u.Digest != want.digest || u.Reference().String() != want.ref {
			t.Errorf("ParseArtifactURL(%q) = %+v (%s), %v; want %+v", in, u, u.Reference(), err, want)
		}
	}
	bad := map[string]string{
		"ghcr.io/acme/app:v1":                   "must start with oci://",
		"oci://user:s3cret@ghcr.io/acme/app:v1": "credentials do not belong in the URL",
		"oci://ghcr.io":                         "want oci://<registry>/<repository>",
		"oci://ghcr.io/acme/app:-v1":            "not a valid OCI tag",
		"oci://ghcr.io/acme/app@sha256:00":      "digest 'sha256:00'",
		"oci://ghcr.io/ACME/app:v1":             "invalid OCI repository URL",
	}
	for in, want := range bad {
		_, err := ParseArtifactURL(in, false)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseArtifactURL(%q) error %v, want %q", in, err, want)
		}
		if err != nil && strings.Contains(err.Error(), "s3cret") {
			t.Errorf("ParseArtifactURL(%q) error quotes the password: %v", in, err)
		}
	}
}
