package ui_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/artifact"
	"github.com/ferrycd/ferry/internal/ui"
)

// artifactUI serves a UI that reads artifacts from storage, as the
// controller's does, with actions (and the reads of the diff and files
// pages) performed by actions.
func artifactUI(t *testing.T, storage *artifact.Storage, actions func(*http.Request) (client.Client, string, error)) *testUI {
	t.Helper()
	return newUIWith(t, ui.Options{Actions: actions, Artifacts: storedArtifacts(t, storage)})
}

// storedArtifacts are the Artifacts of storage, as the controller hands
// them to its UI.
func storedArtifacts(t *testing.T, storage *artifact.Storage) ui.StoredArtifacts {
	t.Helper()
	fetcher := &artifact.Fetcher{Storage: storage}
	cache := artifact.NewCache(fetcher, t.TempDir(), 2)
	t.Cleanup(cache.Close)
	return ui.StoredArtifacts{Fetcher: fetcher, Cache: cache}
}

// newStorage is an artifact storage in a temporary directory.
func newStorage(t *testing.T) *artifact.Storage {
	t.Helper()
	storage, err := artifact.NewStorage(t.TempDir(), "storage.test")
	if err != nil {
		t.Fatal(err)
	}
	return storage
}

// writeFiles writes files (slash-separated name → content) below dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// gitRepositoryWithArtifact creates the GitRepository ns/name whose
// status holds art.
func gitRepositoryWithArtifact(t *testing.T, ns, name string, art *meta.Artifact) {
	t.Helper()
	ctx := context.Background()
	repo := &sourcev1.GitRepository{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       sourcev1.GitRepositorySpec{URL: "https://example.com/" + name + ".git", Interval: metav1.Duration{Duration: time.Minute}},
	}
	if err := env.Client.Create(ctx, repo); err != nil {
		t.Fatal(err)
	}
	repo.Status.Conditions = []metav1.Condition{condition(meta.ReadyCondition, metav1.ConditionTrue, meta.SucceededReason, "stored artifact for revision "+art.Revision)}
	repo.Status.Artifact = art
	if err := env.Client.Status().Update(ctx, repo); err != nil {
		t.Fatal(err)
	}
}

// TestFilesBrowsesAnArtifact browses a GitRepository's artifact, made by
// the storage from a directory as the GitRepository controller makes it:
// the root and a directory list names and sizes, a text file is shown
// escaped, a binary one is named only, a path that leaves the artifact is
// refused, and a user who may not get the GitRepository sees nothing.
func TestFilesBrowsesAnArtifact(t *testing.T) {
	ns := env.NewNamespace(t, "files")
	storage := newStorage(t)
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"README.md":            "# apps\n",
		"deploy/app.yaml":      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  page: <script>alert(1)</script>\n",
		"deploy/logo.png":      "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
		"deploy/base/cm.yaml":  "kind: ConfigMap\n",
		"big/large.txt":        strings.Repeat("0123456789abcde\n", 70000), // 1.1 MB
		"names/weird name.txt": "spaces\n",
	})
	revision := "main@sha1:1234567890abcdef1234567890abcdef12345678"
	art, err := storage.Archive(sourcev1.GitRepositoryKind, ns, "repo", revision, dir)
	if err != nil {
		t.Fatal(err)
	}
	gitRepositoryWithArtifact(t, ns, "repo", art)
	srv := artifactUI(t, storage, asAdmin)
	base := "/o/GitRepository/" + ns + "/repo/files/"

	// The object page links to the files.
	_, body := get(t, srv, "/o/GitRepository/"+ns+"/repo")
	mustContain(t, "the GitRepository's page", body, `href="`+base+`"`, "Browse files")

	resp, body := get(t, srv, base)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %d:\n%s", base, resp.StatusCode, body)
	}
	mustContain(t, "the root", body, revision, art.Digest, `href="`+base+`deploy/"`, "deploy/", `href="`+base+`README.md"`, "README.md", "<td>7</td>")
	if strings.Index(body, "deploy/") > strings.Index(body, "README.md") {
		t.Errorf("directories are not listed first:\n%s", body)
	}
	// /files without the slash leads there too.
	if resp, _ := get(t, srv, strings.TrimSuffix(base, "/")); resp.StatusCode != http.StatusOK {
		t.Errorf("GET files without a slash = %d", resp.StatusCode)
	}

	_, body = get(t, srv, base+"deploy/")
	mustContain(t, "deploy/", body, `href="`+base+`deploy/base/"`, `href="`+base+`deploy/app.yaml"`, "logo.png")
	if strings.Contains(body, "README.md") || strings.Contains(body, "cm.yaml") {
		t.Errorf("deploy/ lists what is not in it:\n%s", body)
	}

	resp, body = get(t, srv, base+"deploy/app.yaml")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET app.yaml = %d:\n%s", resp.StatusCode, body)
	}
	mustContain(t, "app.yaml", body, "kind: ConfigMap", "page: &lt;script&gt;alert(1)&lt;/script&gt;", revision)
	if strings.Contains(body, "<script>alert(1)") {
		t.Errorf("the file is not escaped:\n%s", body)
	}

	_, body = get(t, srv, base+"deploy/logo.png")
	mustContain(t, "logo.png", body, "A binary file of 16 bytes: not shown.")
	if strings.Contains(body, "PNG") {
		t.Errorf("the binary file is shown:\n%s", body)
	}

	_, body = get(t, srv, base+"big/large.txt")
	mustContain(t, "large.txt", body, "1120000 bytes; the first 1048576 bytes shown")
	if n := strings.Count(body, "0123456789abcde\n"); n < 60000 || n > 65536 {
		t.Errorf("large.txt shows %d lines, want the first MiB's", n)
	}

	_, body = get(t, srv, base+"names/weird%20name.txt")
	mustContain(t, "a name with a space", body, "spaces")

	// Nothing outside the artifact: a path with "..", however spelled,
	// and a missing file.
	for _, p := range []string{"../../../etc/passwd", "deploy/%2e%2e/%2e%2e/x", "deploy/..%2f..%2fx", "%2fetc%2fpasswd", "a%00b"} {
		resp, body := get(t, srv, base+p)
		if resp.StatusCode != http.StatusBadRequest && resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 400 or 404:\n%s", p, resp.StatusCode, body)
		}
		if strings.Contains(body, "root:") {
			t.Errorf("GET %s shows a file of the host", p)
		}
	}
	if resp, _ := get(t, srv, base+"deploy/missing.yaml"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("a missing file = %d, want 404", resp.StatusCode)
	}
	if resp, _ := get(t, srv, "/o/HelmRepository/"+ns+"/repo/files/"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("the files of a HelmRepository = %d, want 404", resp.StatusCode)
	}

	// A user who may not get the GitRepository may not read its files.
	nobody := restrictedUser(t, ns, "nobody")
	refused := artifactUI(t, storage, func(*http.Request) (client.Client, string, error) { return nobody, "nobody", nil })
	resp, body = get(t, refused, base+"deploy/app.yaml")
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("the files as nobody = %d, want 403:\n%s", resp.StatusCode, body)
	}
	mustContain(t, "the files as nobody", body, "forbidden", "cannot get resource")
	if strings.Contains(body, "kind: ConfigMap") {
		t.Errorf("nobody reads the file:\n%s", body)
	}

	// ferry ui has no storage: the page says where to look.
	none := newUI(t, asAdmin)
	resp, body = get(t, none, base)
	if resp.StatusCode != http.StatusNotImplemented {
		t.Errorf("the files without storage = %d, want 501", resp.StatusCode)
	}
	mustContain(t, "the files without storage", body, "ferry controller --ui-address", "ferry dev")
}

// TestFilesShowsLinksUnfollowed browses an archive made by hand, as a
// hostile one could be: a symbolic link is shown with its target and not
// followed, and entries that would leave the archive are not listed.
func TestFilesShowsLinksUnfollowed(t *testing.T) {
	ns := env.NewNamespace(t, "files-links")
	storage := newStorage(t)
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, e := range []struct {
		name, body, link string
		typ              byte
	}{
		{name: "./", typ: tar.TypeDir},
		{name: "./deploy/", typ: tar.TypeDir},
		{name: "./deploy/app.yaml", body: "kind: ConfigMap\n", typ: tar.TypeReg},
		{name: "./deploy/passwd", link: "../../../../etc/passwd", typ: tar.TypeSymlink},
		{name: "../outside.txt", body: "outside\n", typ: tar.TypeReg},
		{name: "/etc/absolute.txt", body: "absolute\n", typ: tar.TypeReg},
	} {
		hdr := &tar.Header{Name: e.name, Typeflag: e.typ, Mode: 0o644, Size: int64(len(e.body)), Linkname: e.link}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(e.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	art, err := storage.StoreFile(sourcev1.GitRepositoryKind, ns, "repo", "main@sha1:abcdef", "artifact.tar.gz", &buf)
	if err != nil {
		t.Fatal(err)
	}
	gitRepositoryWithArtifact(t, ns, "repo", art)
	srv := artifactUI(t, storage, asAdmin)
	base := "/o/GitRepository/" + ns + "/repo/files/"

	_, body := get(t, srv, base)
	mustContain(t, "the root", body, "deploy/")
	for _, hidden := range []string{"outside", "absolute", "etc"} {
		if strings.Contains(body, hidden) {
			t.Errorf("the root lists %q, outside the archive:\n%s", hidden, body)
		}
	}
	_, body = get(t, srv, base+"deploy/")
	mustContain(t, "deploy/", body, "passwd", "→ <code>../../../../etc/passwd</code>", "app.yaml")
	resp, body := get(t, srv, base+"deploy/passwd")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET the link = %d:\n%s", resp.StatusCode, body)
	}
	mustContain(t, "the link", body, "A symbolic link to <code>../../../../etc/passwd</code>", "not followed")
	if strings.Contains(body, "root:") {
		t.Errorf("the link was followed:\n%s", body)
	}
}
