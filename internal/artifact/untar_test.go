package artifact_test

import (
	"archive/tar"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ferrycd/ferry/internal/artifact"
)

func TestUntar(t *testing.T) {
	tests := map[string]struct {
		entries []tarEntry
		opts    artifact.UntarOptions
		want    map[string]string // files left in dir on success
		wantErr string
	}{
		"files and dirs": {
			entries: []tarEntry{{name: "a/", typ: tar.TypeDir}, {name: "a/b.txt", body: "b"}, {name: "c.txt", body: "c"}},
			want:    map[string]string{"a/b.txt": "b", "c.txt": "c"},
		},
		"implicit parents": {
			entries: []tarEntry{{name: "x/y/z.txt", body: "z"}},
			want:    map[string]string{"x/y/z.txt": "z"},
		},
		"dot prefix and root entry": {
			entries: []tarEntry{{name: "./", typ: tar.TypeDir}, {name: "./a.txt", body: "a"}},
			want:    map[string]string{"a.txt": "a"},
		},
		"inner symlink": {
			entries: []tarEntry{{name: "d/f.txt", body: "f"}, {name: "d/link", typ: tar.TypeSymlink, linkname: "f.txt"}, {name: "up", typ: tar.TypeSymlink, linkname: "d/../d"}},
			want:    map[string]string{"d/f.txt": "f", "d/link": "-> f.txt", "up": "-> d/../d"},
		},
		"global header is skipped": {
			entries: []tarEntry{{name: "pax_global_header", typ: tar.TypeXGlobalHeader}, {name: "a.txt", body: "a"}},
			want:    map[string]string{"a.txt": "a"},
		},
		"exact size limit": {
			entries: []tarEntry{{name: "a", body: "12345"}, {name: "b", body: "67890"}},
			opts:    artifact.UntarOptions{MaxSize: 10},
			want:    map[string]string{"a": "12345", "b": "67890"},
		},
		"dotdot":                {entries: []tarEntry{{name: "../evil.txt", body: "x"}}, wantErr: "leaves the directory"},
		"dotdot inside":         {entries: []tarEntry{{name: "a/../../evil.txt", body: "x"}}, wantErr: "leaves the directory"},
		"harmless dotdot":       {entries: []tarEntry{{name: "a/../b.txt", body: "x"}}, wantErr: "leaves the directory"},
		"absolute":              {entries: []tarEntry{{name: "/etc/evil", body: "x"}}, wantErr: "absolute entry name"},
		"backslash":             {entries: []tarEntry{{name: `..\evil`, body: "x"}}, wantErr: "invalid entry name"},
		"absolute symlink":      {entries: []tarEntry{{name: "l", typ: tar.TypeSymlink, linkname: "/etc/passwd"}}, wantErr: "link to absolute path"},
		"escaping symlink":      {entries: []tarEntry{{name: "a/l", typ: tar.TypeSymlink, linkname: "../../x"}}, wantErr: "leaves the directory"},
		"empty symlink":         {entries: []tarEntry{{name: "l", typ: tar.TypeSymlink}}, wantErr: "invalid link target"},
		"hard link":             {entries: []tarEntry{{name: "a", body: "a"}, {name: "b", typ: tar.TypeLink, linkname: "a"}}, wantErr: "hard links are not supported"},
		"device":                {entries: []tarEntry{{name: "dev", typ: tar.TypeChar}}, wantErr: "unsupported entry type"},
		"fifo":                  {entries: []tarEntry{{name: "fifo", typ: tar.TypeFifo}}, wantErr: "unsupported entry type"},
		"too large":             {entries: []tarEntry{{name: "a", body: "12345"}, {name: "b", body: "678901"}}, opts: artifact.UntarOptions{MaxSize: 10}, wantErr: "size limit exceeded"},
		"too many entries":      {entries: []tarEntry{{name: "a"}, {name: "b"}, {name: "c"}}, opts: artifact.UntarOptions{MaxEntries: 2}, wantErr: "more than 2 entries"},
		"truncated":             {entries: []tarEntry{{name: "a", body: "abc", size: 100}}, wantErr: "unexpected EOF"},
		"write through symlink": {entries: []tarEntry{{name: "l", typ: tar.TypeSymlink, linkname: "."}, {name: "l/ok.txt", body: "ok"}}, want: map[string]string{"l": "-> .", "ok.txt": "ok"}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			parent := t.TempDir()
			dir := filepath.Join(parent, "out")
			err := artifact.Untar(bytes.NewReader(makeTarGz(t, tt.entries)), dir, tt.opts)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Untar error = %v, want it to contain %q", err, tt.wantErr)
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				if got := readTree(t, dir); !reflect.DeepEqual(got, tt.want) {
					t.Errorf("unpacked %v\nwant     %v", got, tt.want)
				}
			}
			// Nothing may ever land next to dir.
			entries, _ := os.ReadDir(parent)
			for _, e := range entries {
				if e.Name() != "out" {
					t.Errorf("Untar wrote %s outside the directory", e.Name())
				}
			}
		})
	}
}

func TestUntarLimitsAreErrTooLarge(t *testing.T) {
	data := makeTarGz(t, []tarEntry{{name: "a", body: "123456"}})
	err := artifact.Untar(bytes.NewReader(data), t.TempDir(), artifact.UntarOptions{MaxSize: 5})
	if !errors.Is(err, artifact.ErrTooLarge) {
		t.Errorf("error = %v, want ErrTooLarge", err)
	}
}

func TestUntarNotGzip(t *testing.T) {
	if err := artifact.Untar(strings.NewReader("plain text"), t.TempDir(), artifact.UntarOptions{}); err == nil {
		t.Error("Untar of a non-gzip stream succeeded")
	}
}

// TestUntarPlantedSymlink checks that a symlink planted in the target
// directory before unpacking cannot redirect writes outside it.
func TestUntarPlantedSymlink(t *testing.T) {
	outside := t.TempDir()
	dir := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(dir, "planted")); err != nil {
		t.Fatal(err)
	}
	data := makeTarGz(t, []tarEntry{{name: "planted/evil.txt", body: "x"}})
	if err := artifact.Untar(bytes.NewReader(data), dir, artifact.UntarOptions{}); err == nil {
		t.Error("Untar wrote through a symlink that leaves the directory")
	}
	if _, err := os.Stat(filepath.Join(outside, "evil.txt")); !os.IsNotExist(err) {
		t.Errorf("file written outside: %v", err)
	}
}
