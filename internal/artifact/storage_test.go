package artifact_test

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ferrycd/ferry/internal/artifact"
)

func TestArchive(t *testing.T) {
	s := newStorage(t)
	src := t.TempDir()
	writeTree(t, src, map[string]string{
		"README.md":          "hello\n",
		"deploy/b.yaml":      "b\n",
		"deploy/a.yaml":      "a\n",
		".git/HEAD":          "ref: refs/heads/main\n",
		"sub/.git":           "gitdir: ../.git/modules/sub\n",
		"sub/x/.keep":        "",
		".sourceignore":      "# kept\n",
		"deep/er/than/x.txt": "x",
	})
	a, err := s.Archive("GitRepository", "flux-system", "app", "main@sha1:abc", src)
	if err != nil {
		t.Fatal(err)
	}

	if !regexp.MustCompile(`^sha256:[0-9a-f]{64}$`).MatchString(a.Digest) {
		t.Errorf("Digest = %q", a.Digest)
	}
	hexDigest := strings.TrimPrefix(a.Digest, "sha256:")
	if want := "gitrepository/flux-system/app/" + hexDigest + ".tar.gz"; a.Path != want {
		t.Errorf("Path = %q, want %q", a.Path, want)
	}
	if want := "http://storage.test:9790/" + a.Path; a.URL != want {
		t.Errorf("URL = %q, want %q", a.URL, want)
	}
	if a.Revision != "main@sha1:abc" || a.LastUpdateTime.IsZero() {
		t.Errorf("Revision = %q, LastUpdateTime = %v", a.Revision, a.LastUpdateTime)
	}
	file, err := s.LocalPath(a.Path)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	if hex.EncodeToString(sum[:]) != hexDigest {
		t.Error("digest does not match the stored file")
	}
	if a.Size == nil || *a.Size != int64(len(b)) {
		t.Errorf("Size = %v, want %d", a.Size, len(b))
	}
	if !s.Exists(a) {
		t.Error("Exists = false for the stored artifact")
	}

	wantNames := []string{".sourceignore", "README.md", "deep/", "deep/er/", "deep/er/than/", "deep/er/than/x.txt",
		"deploy/", "deploy/a.yaml", "deploy/b.yaml", "sub/", "sub/x/", "sub/x/.keep"}
	if got := tarNames(t, file); !reflect.DeepEqual(got, wantNames) {
		t.Errorf("entries = %q\nwant      %q", got, wantNames)
	}
	entries, _ := os.ReadDir(filepath.Dir(file))
	if len(entries) != 1 {
		t.Errorf("object directory holds %d files, want only the artifact", len(entries))
	}
}

func TestArchiveIsDeterministic(t *testing.T) {
	files := map[string]string{"a/b/c.yaml": "c", "z.txt": "z", "m/n.txt": strings.Repeat("n", 100_000)}
	s := newStorage(t)
	src1, src2 := t.TempDir(), t.TempDir()
	writeTree(t, src1, files)
	writeTree(t, src2, files)
	// Different times, permissions of directories and write order must not
	// change the archive.
	old := time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := os.Chtimes(filepath.Join(src2, "z.txt"), old, old); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(src2, "m"), 0o700); err != nil {
		t.Fatal(err)
	}
	a1, err := s.Archive("GitRepository", "ns", "one", "r1", src1)
	if err != nil {
		t.Fatal(err)
	}
	a2, err := s.Archive("GitRepository", "ns", "two", "r2", src2)
	if err != nil {
		t.Fatal(err)
	}
	if a1.Digest != a2.Digest {
		t.Errorf("digests differ for identical trees: %s vs %s", a1.Digest, a2.Digest)
	}
	writeTree(t, src2, map[string]string{"z.txt": "changed"})
	a3, err := s.Archive("GitRepository", "ns", "two", "r3", src2)
	if err != nil {
		t.Fatal(err)
	}
	if a3.Digest == a2.Digest {
		t.Error("digest did not change with the content")
	}
}

func TestArchiveSymlinks(t *testing.T) {
	outside := t.TempDir()
	writeTree(t, outside, map[string]string{"secret.txt": "do not ship"})
	src := t.TempDir()
	writeTree(t, src, map[string]string{"base/app.yaml": "app", "file.txt": "file"})
	links := map[string]string{
		"to-file":        "file.txt",
		"to-dir":         "base",
		"escape-abs":     filepath.Join(outside, "secret.txt"),
		"escape-rel":     "../" + filepath.Base(outside) + "/secret.txt",
		"escape-dir":     outside,
		"dangling":       "missing.txt",
		"base/loop":      "..",
		"base/self-loop": ".",
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(src, filepath.FromSlash(name))); err != nil {
			t.Fatal(err)
		}
	}
	s := newStorage(t)
	a, err := s.Archive("GitRepository", "ns", "links", "r", src)
	if err != nil {
		t.Fatal(err)
	}
	dst := t.TempDir()
	f, _ := s.LocalPath(a.Path)
	r, err := os.Open(f)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := artifact.Untar(r, dst, artifact.UntarOptions{}); err != nil {
		t.Fatal(err)
	}
	got := readTree(t, dst)
	want := map[string]string{
		"base/app.yaml":   "app",
		"file.txt":        "file",
		"to-file":         "file",
		"to-dir/app.yaml": "app",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("unpacked %q\nwant     %q", sortedKeys(got), sortedKeys(want))
	}
}

func TestArchiveSizeLimit(t *testing.T) {
	s := newStorage(t)
	s.MaxSize = 1024
	src := t.TempDir()
	// Random-looking content does not compress below the limit.
	var b strings.Builder
	for i := 0; i < 4000; i++ {
		sum := sha256.Sum256([]byte{byte(i), byte(i >> 8)})
		b.WriteString(hex.EncodeToString(sum[:4]))
	}
	writeTree(t, src, map[string]string{"big.txt": b.String()})
	_, err := s.Archive("GitRepository", "ns", "big", "r", src)
	if err == nil || !strings.Contains(err.Error(), "size limit exceeded") {
		t.Fatalf("Archive error = %v, want size limit exceeded", err)
	}
	dir := filepath.Join(s.Root(), "gitrepository", "ns", "big")
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("a failed Archive left %d files", len(entries))
	}
}

func TestArchiveRejectsBadNames(t *testing.T) {
	s := newStorage(t)
	src := t.TempDir()
	tests := map[string][3]string{
		"empty kind":      {"", "ns", "n"},
		"dotdot ns":       {"GitRepository", "..", "n"},
		"slash in name":   {"GitRepository", "ns", "a/b"},
		"backslash":       {"GitRepository", "ns", `a\b`},
		"dot name":        {"GitRepository", "ns", "."},
		"reserved prefix": {"GitRepository", "ns", ".tmp-x"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := s.Archive(tt[0], tt[1], tt[2], "r", src); err == nil {
				t.Error("Archive accepted an invalid object name")
			}
			if err := s.Remove(tt[0], tt[1], tt[2]); err == nil {
				t.Error("Remove accepted an invalid object name")
			}
			if err := s.GC(tt[0], tt[1], tt[2], 1); err == nil {
				t.Error("GC accepted an invalid object name")
			}
		})
	}
	if _, err := s.Archive("GitRepository", "ns", "n", "r", filepath.Join(src, "missing")); err == nil {
		t.Error("Archive of a missing directory succeeded")
	}
}

func TestGCAndRemove(t *testing.T) {
	s := newStorage(t)
	src := t.TempDir()
	var paths []string
	for i, content := range []string{"one", "two", "three", "four"} {
		writeTree(t, src, map[string]string{"f.txt": content})
		a, err := s.Archive("GitRepository", "ns", "app", "r", src)
		if err != nil {
			t.Fatal(err)
		}
		// Make the write order visible regardless of timestamp resolution.
		when := time.Now().Add(time.Duration(i-10) * time.Minute)
		file, _ := s.LocalPath(a.Path)
		if err := os.Chtimes(file, when, when); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, a.Path)
	}
	other, err := s.Archive("GitRepository", "ns", "other", "r", src)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(s.Root(), "gitrepository", "ns", "app")
	if err := os.WriteFile(filepath.Join(dir, ".tmp-crashed.tar.gz"), []byte("partial"), 0o644); err != nil {
		t.Fatal(err)
	}

	if err := s.GC("GitRepository", "ns", "app", 2); err != nil {
		t.Fatal(err)
	}
	var left []string
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		left = append(left, "gitrepository/ns/app/"+e.Name())
	}
	want := []string{paths[2], paths[3]}
	if len(left) != 2 || !(left[0] == want[0] && left[1] == want[1] || left[0] == want[1] && left[1] == want[0]) {
		t.Errorf("after GC: %q, want %q", left, want)
	}
	if err := s.GC("GitRepository", "ns", "missing", 1); err != nil {
		t.Errorf("GC of an object without artifacts: %v", err)
	}

	if err := s.Remove("GitRepository", "ns", "app"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("object directory still exists after Remove: %v", err)
	}
	if !s.Exists(other) {
		t.Error("Remove deleted another object's artifact")
	}
	if err := s.Remove("GitRepository", "ns", "other"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(s.Root(), "gitrepository", "ns")); !os.IsNotExist(err) {
		t.Errorf("empty namespace directory kept: %v", err)
	}
	if err := s.Remove("GitRepository", "ns", "other"); err != nil {
		t.Errorf("second Remove: %v", err)
	}
}

func TestLocalPath(t *testing.T) {
	s := newStorage(t)
	tests := map[string]struct {
		in, want string
		wantErr  bool
	}{
		"simple":        {in: "gitrepository/ns/n/x.tar.gz", want: "gitrepository/ns/n/x.tar.gz"},
		"cleaned":       {in: "a/./b//c", want: "a/b/c"},
		"inner dotdot":  {in: "a/../b", want: "b"},
		"empty":         {in: "", wantErr: true},
		"dot":           {in: ".", wantErr: true},
		"dotdot":        {in: "..", wantErr: true},
		"escape":        {in: "../etc/passwd", wantErr: true},
		"escape inside": {in: "a/../../etc", wantErr: true},
		"absolute":      {in: "/etc/passwd", wantErr: true},
		"backslash":     {in: `..\..\x`, wantErr: true},
		"nul":           {in: "a\x00b", wantErr: true},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := s.LocalPath(tt.in)
			if tt.wantErr {
				if err == nil {
					t.Errorf("LocalPath(%q) = %q, want an error", tt.in, got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if want := filepath.Join(s.Root(), filepath.FromSlash(tt.want)); got != want {
				t.Errorf("LocalPath(%q) = %q, want %q", tt.in, got, want)
			}
		})
	}
}

func TestNewStorageNeedsHostname(t *testing.T) {
	if _, err := artifact.NewStorage(t.TempDir(), ""); err == nil {
		t.Error("NewStorage without a hostname succeeded")
	}
}
