package artifact_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ferrycd/ferry/api/meta"
	"github.com/ferrycd/ferry/internal/artifact"
)

var files = map[string]string{"kustomization.yaml": "resources: [cm.yaml]\n", "cm.yaml": "kind: ConfigMap\n"}

// serve stores one artifact and serves the storage over real HTTP, counting
// requests. The storage's hostname is the server's address.
func serve(t *testing.T) (*artifact.Storage, *meta.Artifact, *int64) {
	t.Helper()
	var hits int64
	var handler http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		atomic.AddInt64(&hits, 1)
		handler.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	s, err := artifact.NewStorage(t.TempDir(), u.Host)
	if err != nil {
		t.Fatal(err)
	}
	handler = s.Handler()
	src := t.TempDir()
	writeTree(t, src, files)
	a, err := s.Archive("GitRepository", "ns", "app", "main@sha1:abc", src)
	if err != nil {
		t.Fatal(err)
	}
	return s, a, &hits
}

func TestHandler(t *testing.T) {
	s, a, _ := serve(t)
	base := "http://" + s.Hostname()
	outside := filepath.Join(filepath.Dir(s.Root()), "outside.txt")
	if err := os.WriteFile(outside, []byte("secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(s.Root(), "escape")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(s.Root(), "gitrepository", "ns", "app", ".tmp-partial.tar.gz"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(s.Root(), ".image-tags", "ns"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(s.Root(), ".image-tags", "ns", "web.tags"), []byte("1.0.0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct {
		method, path string
		want         int
	}{
		"hidden directory":   {path: "/.image-tags/ns/web.tags", want: http.StatusNotFound},
		"artifact":           {path: "/" + a.Path, want: http.StatusOK},
		"artifact HEAD":      {method: http.MethodHead, path: "/" + a.Path, want: http.StatusOK},
		"missing":            {path: "/gitrepository/ns/app/none.tar.gz", want: http.StatusNotFound},
		"directory":          {path: "/gitrepository/ns/app/", want: http.StatusNotFound},
		"root":               {path: "/", want: http.StatusNotFound},
		"partial write":      {path: "/gitrepository/ns/app/.tmp-partial.tar.gz", want: http.StatusNotFound},
		"symlink escape":     {path: "/escape", want: http.StatusNotFound},
		"encoded traversal":  {path: "/%2e%2e/outside.txt", want: http.StatusNotFound},
		"encoded traversal2": {path: "/gitrepository/..%2f..%2f..%2foutside.txt", want: http.StatusNotFound},
		"post":               {method: http.MethodPost, path: "/" + a.Path, want: http.StatusMethodNotAllowed},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			method := tt.method
			if method == "" {
				method = http.MethodGet
			}
			// Send the path raw, so the client does not clean it first.
			req, err := http.NewRequest(method, base, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.URL.Opaque = tt.path
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Errorf("%s %s = %d, want %d", method, tt.path, resp.StatusCode, tt.want)
			}
			if strings.Contains(string(body), "secret") {
				t.Error("response leaks a file outside the storage")
			}
		})
	}
}

func TestFetchLocalAndHTTP(t *testing.T) {
	s, a, hits := serve(t)

	// The Storage owns the URL: no HTTP request.
	dir := t.TempDir()
	if err := (&artifact.Fetcher{Storage: s}).Fetch(context.Background(), a, dir); err != nil {
		t.Fatal(err)
	}
	if got := readTree(t, dir); !reflect.DeepEqual(got, files) {
		t.Errorf("local fetch unpacked %v", got)
	}
	if n := atomic.LoadInt64(hits); n != 0 {
		t.Errorf("local fetch made %d HTTP requests", n)
	}

	// Without a Storage: over HTTP.
	dir = t.TempDir()
	if err := (&artifact.Fetcher{}).Fetch(context.Background(), a, dir); err != nil {
		t.Fatal(err)
	}
	if got := readTree(t, dir); !reflect.DeepEqual(got, files) {
		t.Errorf("HTTP fetch unpacked %v", got)
	}
	if n := atomic.LoadInt64(hits); n != 1 {
		t.Errorf("HTTP fetch made %d requests, want 1", n)
	}

	// A Storage that owns the URL but lacks the file falls back to HTTP.
	other, err := artifact.NewStorage(t.TempDir(), s.Hostname())
	if err != nil {
		t.Fatal(err)
	}
	if err := (&artifact.Fetcher{Storage: other}).Fetch(context.Background(), a, t.TempDir()); err != nil {
		t.Fatal(err)
	}
	if n := atomic.LoadInt64(hits); n != 2 {
		t.Errorf("fallback fetch made %d requests in total, want 2", n)
	}
}

func TestFetchFailures(t *testing.T) {
	s, a, _ := serve(t)
	with := func(mut func(*meta.Artifact)) *meta.Artifact {
		c := a.DeepCopy()
		mut(c)
		return c
	}
	wrongDigest := "sha256:" + strings.Repeat("0", 64)
	tests := map[string]struct {
		fetcher *artifact.Fetcher
		a       *meta.Artifact
		wantErr string
		is      error
	}{
		"nil artifact":          {fetcher: &artifact.Fetcher{Storage: s}, wantErr: "no artifact"},
		"no digest":             {fetcher: &artifact.Fetcher{Storage: s}, a: with(func(a *meta.Artifact) { a.Digest = "" }), wantErr: "invalid digest"},
		"unknown algorithm":     {fetcher: &artifact.Fetcher{Storage: s}, a: with(func(a *meta.Artifact) { a.Digest = "md5:abcd" }), wantErr: "unsupported algorithm"},
		"short hex":             {fetcher: &artifact.Fetcher{Storage: s}, a: with(func(a *meta.Artifact) { a.Digest = "sha256:abcd" }), wantErr: "malformed hex"},
		"local digest mismatch": {fetcher: &artifact.Fetcher{Storage: s}, a: with(func(a *meta.Artifact) { a.Digest = wrongDigest }), is: artifact.ErrDigestMismatch},
		"http digest mismatch":  {fetcher: &artifact.Fetcher{}, a: with(func(a *meta.Artifact) { a.Digest = wrongDigest }), is: artifact.ErrDigestMismatch},
		"local too large":       {fetcher: &artifact.Fetcher{Storage: s, MaxSize: 10}, a: a, is: artifact.ErrTooLarge},
		"http too large":        {fetcher: &artifact.Fetcher{MaxSize: 10}, a: a, is: artifact.ErrTooLarge},
		"untar limit":           {fetcher: &artifact.Fetcher{Storage: s, Limits: artifact.UntarOptions{MaxSize: 5}}, a: a, is: artifact.ErrTooLarge},
		"http 404":              {fetcher: &artifact.Fetcher{}, a: with(func(a *meta.Artifact) { a.URL += ".missing" }), wantErr: "404"},
		"unreachable":           {fetcher: &artifact.Fetcher{}, a: with(func(a *meta.Artifact) { a.URL = "http://127.0.0.1:1/x.tar.gz" }), wantErr: "connection refused"},
		"local traversal":       {fetcher: &artifact.Fetcher{Storage: s}, a: with(func(a *meta.Artifact) { a.URL = "http://" + s.Hostname() + "/../../etc/passwd" }), wantErr: "404"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			err := tt.fetcher.Fetch(context.Background(), tt.a, dir)
			if err == nil {
				t.Fatal("Fetch succeeded")
			}
			if tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error = %v, want it to contain %q", err, tt.wantErr)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error = %v, want %v", err, tt.is)
			}
			if tt.is == artifact.ErrDigestMismatch {
				if entries, _ := os.ReadDir(dir); len(entries) != 0 {
					t.Error("files were unpacked before the digest was verified")
				}
			}
		})
	}
}
