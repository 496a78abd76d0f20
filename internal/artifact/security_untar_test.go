package artifact_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferrycd/ferry/internal/artifact"
)

// TestUntarRefusesLinksEscapingThroughLinks unpacks archives whose
// symlinks each look inside the directory when read on their own, but
// leave it once the links before them are followed: a link whose parent is
// itself a link, or whose target climbs out of a link. Every archive is
// refused, and after the refusal no symlink below the directory resolves
// outside it, so no reader of the tree (a build, a chart load, a copy) can
// be led out of it.
func TestUntarRefusesLinksEscapingThroughLinks(t *testing.T) {
	tests := map[string][]tarEntry{
		// "l" is the root; "l/x" is created at the root, pointing at its parent.
		"a link below a link to the root": {
			{name: "l", typ: tar.TypeSymlink, linkname: "."},
			{name: "l/x", typ: tar.TypeSymlink, linkname: ".."},
		},
		// "a/b" is the root; "a/b/c" is the root's "c", pointing at its parent.
		"a link below a link up": {
			{name: "a/", typ: tar.TypeDir},
			{name: "a/b", typ: tar.TypeSymlink, linkname: ".."},
			{name: "a/b/c", typ: tar.TypeSymlink, linkname: ".."},
		},
		// "d/x" is the root, so "d/x/.." is the root's parent.
		"a target climbing out of a link": {
			{name: "d/", typ: tar.TypeDir},
			{name: "d/x", typ: tar.TypeSymlink, linkname: ".."},
			{name: "d/l", typ: tar.TypeSymlink, linkname: "x/.."},
		},
		// The same, with the link to climb out of made after the one climbing.
		"a target climbing out of a link made later": {
			{name: "d/", typ: tar.TypeDir},
			{name: "d/l", typ: tar.TypeSymlink, linkname: "x/../.."},
			{name: "d/x", typ: tar.TypeSymlink, linkname: "y"},
			{name: "d/y", typ: tar.TypeSymlink, linkname: "."},
		},
		// Deeper: three links, each one level up from where the last one leads.
		"a chain of links up": {
			{name: "a/b/", typ: tar.TypeDir},
			{name: "a/b/up", typ: tar.TypeSymlink, linkname: "../.."},
			{name: "a/b/up/a/up2", typ: tar.TypeSymlink, linkname: "../.."},
		},
	}
	for name, entries := range tests {
		t.Run(name, func(t *testing.T) {
			parent := t.TempDir()
			dir := filepath.Join(parent, "out")
			err := artifact.Untar(bytes.NewReader(makeTarGz(t, entries)), dir, artifact.UntarOptions{})
			if err == nil || !strings.Contains(err.Error(), "leaves the directory") {
				t.Errorf("Untar error = %v, want a link refused for leaving the directory", err)
			}
			assertNoEscapingLink(t, dir)
		})
	}
}

// TestUntarKeepsLinksResolvingInside checks that the links the refusals
// above must not catch still unpack: a link up to a real directory, a link
// through a link that stays inside, a link not yet resolvable.
func TestUntarKeepsLinksResolvingInside(t *testing.T) {
	entries := []tarEntry{
		{name: "d/f.txt", body: "f"},
		{name: "d/e/", typ: tar.TypeDir},
		{name: "d/e/up", typ: tar.TypeSymlink, linkname: "../f.txt"},
		{name: "d/real", typ: tar.TypeSymlink, linkname: "e/../f.txt"},
		{name: "d/via", typ: tar.TypeSymlink, linkname: "e/up"},
		{name: "d/later", typ: tar.TypeSymlink, linkname: "n/g.txt"},
		{name: "d/n/g.txt", body: "g"},
		{name: "root", typ: tar.TypeSymlink, linkname: "d/.."},
	}
	dir := filepath.Join(t.TempDir(), "out")
	if err := artifact.Untar(bytes.NewReader(makeTarGz(t, entries)), dir, artifact.UntarOptions{}); err != nil {
		t.Fatal(err)
	}
	for link, want := range map[string]string{"d/e/up": "f", "d/real": "f", "d/via": "f", "d/later": "g", "root/d/f.txt": "f"} {
		if b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(link))); err != nil || string(b) != want {
			t.Errorf("%s reads %q, %v; want %q", link, b, err, want)
		}
	}
	assertNoEscapingLink(t, dir)
}

// TestUntarBomb unpacks a decompression bomb: a 1 KiB archive of a file
// declared (and compressed) as 1 GiB of zeros. It is refused from the
// header, before its content is inflated, and nothing is written.
func TestUntarBomb(t *testing.T) {
	const limit = 1 << 20
	var buf bytes.Buffer
	gz, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	tw := tar.NewWriter(gz)
	if err := tw.WriteHeader(&tar.Header{Name: "zeros.bin", Typeflag: tar.TypeReg, Mode: 0o644, Size: 1 << 30}); err != nil {
		t.Fatal(err)
	}
	zeros := make([]byte, 1<<20)
	for range 1 << 10 {
		if _, err := tw.Write(zeros); err != nil {
			t.Fatal(err)
		}
	}
	_ = tw.Close()
	_ = gz.Close()
	t.Logf("archive of %d bytes declaring a file of 1 GiB", buf.Len())
	counted := &countingReader{r: &buf}
	dir := filepath.Join(t.TempDir(), "out")
	err := artifact.Untar(counted, dir, artifact.UntarOptions{MaxSize: limit})
	if !errors.Is(err, artifact.ErrTooLarge) {
		t.Fatalf("Untar error = %v, want ErrTooLarge", err)
	}
	// The gzip reader buffers its input: allow a few of its reads.
	if counted.n > 64<<10 {
		t.Errorf("Untar read %d compressed bytes of the bomb before refusing it", counted.n)
	}
	if got := readTree(t, dir); len(got) != 0 {
		t.Errorf("the refused bomb left %v", got)
	}
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// assertNoEscapingLink fails when a symlink below dir resolves outside it.
func assertNoEscapingLink(t *testing.T, dir string) {
	t.Helper()
	root, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return // nothing was unpacked
	}
	_ = filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.Mode()&os.ModeSymlink == 0 {
			return nil
		}
		target, err := filepath.EvalSymlinks(p)
		if err != nil {
			return nil
		}
		if rel, err := filepath.Rel(root, target); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			t.Errorf("%s resolves to %s, outside the directory", p, target)
		}
		return nil
	})
}
