package artifact_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ferrycd/ferry/internal/artifact"
)

// TestStoreFile stores a single file (a repository index, a chart) as an
// artifact and reads it back through a Fetcher, locally and over HTTP,
// digest-checked.
func TestStoreFile(t *testing.T) {
	srv := httptest.NewUnstartedServer(nil)
	srv.Start()
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	s, err := artifact.NewStorage(t.TempDir(), u.Host)
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = s.Handler()

	index := []byte("apiVersion: v1\nentries: {}\n")
	a, err := s.StoreFile("HelmRepository", "ns", "charts", "sha256:abc", "index.yaml", bytes.NewReader(index))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(index)
	if a.Digest != "sha256:"+hex.EncodeToString(sum[:]) {
		t.Errorf("digest %s", a.Digest)
	}
	if a.Path != "helmrepository/ns/charts/"+hex.EncodeToString(sum[:])+".yaml" || a.Revision != "sha256:abc" || *a.Size != int64(len(index)) {
		t.Errorf("artifact %+v", a)
	}
	if !s.Exists(a) {
		t.Error("stored file does not exist")
	}

	for name, f := range map[string]*artifact.Fetcher{"local": {Storage: s}, "HTTP": {}} {
		rc, err := f.Open(context.Background(), a)
		if err != nil {
			t.Fatalf("%s Open: %v", name, err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || !bytes.Equal(got, index) {
			t.Errorf("%s Open read %q, %v", name, got, err)
		}
	}
	resp, err := http.Get(a.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET %s: %s", a.URL, resp.Status)
	}

	// A chart keeps its extension; .tar.gz stays whole.
	chart, err := s.StoreFile("HelmChart", "ns", "web", "1.0.0", "web-1.0.0.tgz", strings.NewReader("chart"))
	if err != nil || !strings.HasSuffix(chart.Path, ".tgz") {
		t.Errorf("chart artifact %+v, %v", chart, err)
	}
	layer, err := s.StoreFile("OCIRepository", "ns", "app", "v1", "layer.tar.gz", strings.NewReader("layer"))
	if err != nil || !strings.HasSuffix(layer.Path, ".tar.gz") {
		t.Errorf("layer artifact %+v, %v", layer, err)
	}

	// Tampered on disk: Open refuses it and hands out nothing.
	p, err := s.LocalPath(a.Path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("apiVersion: v1\nentries: {evil: []}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := (&artifact.Fetcher{Storage: s}).Open(context.Background(), a); !errors.Is(err, artifact.ErrDigestMismatch) {
		t.Errorf("Open of a tampered file = %v, want ErrDigestMismatch", err)
	}
}

func TestStoreFileLimitsAndNames(t *testing.T) {
	s := newStorage(t)
	s.MaxSize = 8
	_, err := s.StoreFile("HelmRepository", "ns", "charts", "r", "index.yaml", strings.NewReader("more than eight bytes"))
	if !errors.Is(err, artifact.ErrTooLarge) {
		t.Errorf("StoreFile past MaxSize = %v, want ErrTooLarge", err)
	}
	entries, _ := os.ReadDir(filepath.Join(s.Root(), "helmrepository", "ns", "charts"))
	if len(entries) != 0 {
		t.Errorf("left %d files after a refused write", len(entries))
	}
	for _, name := range []string{"index", "index.YAML", "../x.yaml", "a.y$ml", "x.averyveryverylongext"} {
		if _, err := s.StoreFile("HelmRepository", "ns", "charts", "r", name, strings.NewReader("x")); err == nil && name != "../x.yaml" {
			t.Errorf("StoreFile(%q) was accepted", name)
		}
	}
	// The name's directory part is dropped: the file stays in the object's directory.
	a, err := s.StoreFile("HelmRepository", "ns", "charts", "r", "../x.yaml", strings.NewReader("x"))
	if err != nil || !strings.HasPrefix(a.Path, "helmrepository/ns/charts/") {
		t.Errorf("StoreFile(../x.yaml) = %+v, %v", a, err)
	}
	if _, err := s.StoreFile("HelmRepository", "..", "charts", "r", "index.yaml", strings.NewReader("x")); err == nil {
		t.Error("a namespace of .. was accepted")
	}
}

// TestGCSingleFiles: garbage collection keeps the newest single files too.
func TestGCSingleFiles(t *testing.T) {
	s := newStorage(t)
	var paths []string
	for i, content := range []string{"one", "two", "three"} {
		a, err := s.StoreFile("HelmRepository", "ns", "charts", "r", "index.yaml", strings.NewReader(content))
		if err != nil {
			t.Fatal(err)
		}
		p, _ := s.LocalPath(a.Path)
		mod := time.Now().Add(time.Duration(i-3) * time.Minute)
		if err := os.Chtimes(p, mod, mod); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	if err := s.GC("HelmRepository", "ns", "charts", 2); err != nil {
		t.Fatal(err)
	}
	for i, p := range paths {
		_, err := os.Stat(p)
		if gone := os.IsNotExist(err); gone != (i == 0) {
			t.Errorf("file %d gone = %v", i, gone)
		}
	}
}
