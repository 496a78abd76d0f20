package controlplane

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// releaseServer is a loopback mirror of release hosts: it serves files by
// path and counts the requests for each.
type releaseServer struct {
	*httptest.Server
	mu    sync.Mutex
	files map[string][]byte
	hits  map[string]int
}

func newReleaseServer(t *testing.T) *releaseServer {
	t.Helper()
	s := &releaseServer{files: map[string][]byte{}, hits: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.hits[r.URL.Path]++
		data, ok := s.files[r.URL.Path]
		s.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write(data)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *releaseServer) put(p string, data []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files[p] = data
}

func (s *releaseServer) requests(p string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[p]
}

func (s *releaseServer) downloader(t *testing.T) *downloader {
	t.Helper()
	u, err := url.Parse(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	return &downloader{mirror: u, client: s.Client()}
}

func sha256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// fakeComponent installs file: downloaded from rel when it is set, else (or
// when the download fails) "built" by writing built content. builds counts
// the builds.
func fakeComponent(file string, rel *release, builds *atomic.Int32) component {
	return component{
		name:    file + " v0.0.1",
		files:   []string{file},
		release: rel,
		build: func(_ context.Context, _ *builder, out string) error {
			builds.Add(1)
			return os.WriteFile(filepath.Join(out, file), []byte("built "+file), 0o755)
		},
		typical: "a moment",
	}
}

func plainRelease(p string) *release {
	return &release{host: "https://release.invalid", path: p, sums: p + ".sha256"}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// TestEnsureDownloads installs a set from a mirror: a plain binary checked
// against its .sha256 file and a binary inside a tarball checked against a
// SHA256SUMS list; nothing is built.
func TestEnsureDownloads(t *testing.T) {
	srv := newReleaseServer(t)
	server := []byte("#!/bin/sh\necho server\n")
	srv.put("/bin/server", server)
	srv.put("/bin/server.sha256", []byte(sha256Hex(server)+"\n"))

	tarball := tarGz(t, map[string]string{"db-v1/README.md": "read me", "db-v1/db": "#!/bin/sh\necho db\n"})
	srv.put("/db/db-v1.tar.gz", tarball)
	srv.put("/db/SHA256SUMS", []byte(fmt.Sprintf("%s  db-v1.zip\n%s  db-v1.tar.gz\n", strings.Repeat("0", 64), sha256Hex(tarball))))

	var builds atomic.Int32
	set := binarySet{name: "test", versions: "v0.0.1", components: []component{
		fakeComponent("server", plainRelease("/bin/server"), &builds),
		fakeComponent("db", &release{host: "https://release.invalid", path: "/db/db-v1.tar.gz", sums: "/db/SHA256SUMS", entry: "db-v1.tar.gz", member: "db-v1/db"}, &builds),
	}}
	dir := t.TempDir()
	var log bytes.Buffer
	if err := ensureSets(context.Background(), dir, &log, srv.downloader(t), []binarySet{set}); err != nil {
		t.Fatalf("ensureSets: %v\n%s", err, log.String())
	}
	if n := builds.Load(); n != 0 {
		t.Errorf("built %d components, want every one downloaded:\n%s", n, log.String())
	}
	if got := readFile(t, filepath.Join(dir, "server")); got != string(server) {
		t.Errorf("server = %q, want the downloaded file", got)
	}
	if got := readFile(t, filepath.Join(dir, "db")); got != "#!/bin/sh\necho db\n" {
		t.Errorf("db = %q, want the tarball's member", got)
	}
	for _, f := range []string{"server", "db"} {
		fi, err := os.Stat(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm()&0o111 == 0 {
			t.Errorf("%s is not executable: %v", f, fi.Mode())
		}
	}
	b := &builder{dir: dir}
	if !b.complete(set) {
		t.Error("the set is not stamped complete")
	}
	mustContainAll(t, log.String(), "downloading server v0.0.1", "downloading db v0.0.1", "ready")

	// Complete: a second call fetches nothing.
	before := srv.requests("/bin/server")
	if err := ensureSets(context.Background(), dir, nil, srv.downloader(t), []binarySet{set}); err != nil {
		t.Fatal(err)
	}
	if after := srv.requests("/bin/server"); after != before {
		t.Errorf("a complete cache downloaded again (%d requests, then %d)", before, after)
	}
}

// TestEnsureDownloadChecksumMismatch refuses a file whose digest is not
// the published one: it is not installed, the component is built instead,
// and the other downloads go on.
func TestEnsureDownloadChecksumMismatch(t *testing.T) {
	srv := newReleaseServer(t)
	srv.put("/bin/tampered", []byte("tampered"))
	srv.put("/bin/tampered.sha256", []byte(sha256Hex([]byte("the real one"))))
	srv.put("/bin/fine", []byte("fine"))
	srv.put("/bin/fine.sha256", []byte(sha256Hex([]byte("fine"))))

	var builds atomic.Int32
	set := binarySet{name: "test", versions: "v0.0.1", components: []component{
		fakeComponent("tampered", plainRelease("/bin/tampered"), &builds),
		fakeComponent("fine", plainRelease("/bin/fine"), &builds),
	}}
	dir := t.TempDir()
	var log bytes.Buffer
	if err := ensureSets(context.Background(), dir, &log, srv.downloader(t), []binarySet{set}); err != nil {
		t.Fatalf("ensureSets: %v", err)
	}
	if got := readFile(t, filepath.Join(dir, "tampered")); got != "built tampered" {
		t.Errorf("tampered = %q, want the built file", got)
	}
	if got := readFile(t, filepath.Join(dir, "fine")); got != "fine" {
		t.Errorf("fine = %q, want the downloaded file", got)
	}
	if n := builds.Load(); n != 1 {
		t.Errorf("built %d components, want 1", n)
	}
	mustContainAll(t, log.String(), "refused the download of tampered v0.0.1", "but the release publishes "+sha256Hex([]byte("the real one")))
	assertNoLeftovers(t, dir)
}

// TestEnsureDownloadMismatchNothingCached: when the refused component
// cannot be built either, the install fails and caches nothing.
func TestEnsureDownloadMismatchNothingCached(t *testing.T) {
	srv := newReleaseServer(t)
	srv.put("/bin/tampered", []byte("tampered"))
	srv.put("/bin/tampered.sha256", []byte(sha256Hex([]byte("the real one"))))
	c := component{
		name: "tampered v0.0.1", files: []string{"tampered"}, release: plainRelease("/bin/tampered"),
		build: func(context.Context, *builder, string) error { return fmt.Errorf("no Go toolchain") },
	}
	set := binarySet{name: "test", versions: "v0.0.1", components: []component{c}}
	dir := t.TempDir()
	err := ensureSets(context.Background(), dir, nil, srv.downloader(t), []binarySet{set})
	if err == nil || !strings.Contains(err.Error(), "no Go toolchain") {
		t.Fatalf("ensureSets = %v, want the build's error", err)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".lock") {
			t.Errorf("left %s in the cache", e.Name())
		}
	}
}

// TestEnsureDownloadUnreachable falls back to building when the mirror
// fails, says so once and does not try again for the next file.
func TestEnsureDownloadUnreachable(t *testing.T) {
	srv := newReleaseServer(t) // serves nothing: every path is 404
	var builds atomic.Int32
	set := binarySet{name: "test", versions: "v0.0.1", components: []component{
		fakeComponent("one", plainRelease("/bin/one"), &builds),
		fakeComponent("two", plainRelease("/bin/two"), &builds),
	}}
	dir := t.TempDir()
	var log bytes.Buffer
	if err := ensureSets(context.Background(), dir, &log, srv.downloader(t), []binarySet{set}); err != nil {
		t.Fatal(err)
	}
	if n := builds.Load(); n != 2 {
		t.Errorf("built %d components, want 2", n)
	}
	if n := strings.Count(log.String(), "cannot download release binaries"); n != 1 {
		t.Errorf("said %d times that downloads failed, want once:\n%s", n, log.String())
	}
	mustContainAll(t, log.String(), "404", DownloadEnv+"=off")
	if n := srv.requests("/bin/two.sha256"); n != 0 {
		t.Errorf("asked for the second checksum %d times after the first download failed", n)
	}

	// A closed server: a connection error, also a fallback.
	srv.Close()
	builds.Store(0)
	var log2 bytes.Buffer
	if err := ensureSets(context.Background(), t.TempDir(), &log2, srv.downloader(t), []binarySet{set}); err != nil {
		t.Fatal(err)
	}
	if n := builds.Load(); n != 2 {
		t.Errorf("built %d components against a closed server, want 2", n)
	}
	mustContainAll(t, log2.String(), "cannot download release binaries")
}

// TestEnsureInstallsOnce: concurrent installs of one set, as parallel test
// packages do, run the build once; the others wait for it and then find
// the set complete.
func TestEnsureInstallsOnce(t *testing.T) {
	var builds atomic.Int32
	release := make(chan struct{})
	c := component{
		name: "slow v0.0.1", files: []string{"slow"},
		build: func(_ context.Context, _ *builder, out string) error {
			builds.Add(1)
			<-release
			return os.WriteFile(filepath.Join(out, "slow"), []byte("built"), 0o755)
		},
	}
	set := binarySet{name: "test", versions: "v0.0.1", components: []component{c}}
	dir := t.TempDir()
	off := &downloader{}
	off.disable("test")

	var wg sync.WaitGroup
	var logs [3]syncBuffer
	errs := make([]error, 3)
	for i := range errs {
		wg.Go(func() { errs[i] = ensureSets(context.Background(), dir, &logs[i], off, []binarySet{set}) })
	}
	// Let every caller reach the lock before the build finishes: one
	// builds, the two others say they wait.
	waiting := func() int {
		n := 0
		for i := range logs {
			if strings.Contains(logs[i].String(), "waiting for another process") {
				n++
			}
		}
		return n
	}
	deadline := time.Now().Add(time.Minute)
	for (builds.Load() == 0 || waiting() < 2) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	close(release)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("caller %d: %v", i, err)
		}
	}
	if n := builds.Load(); n != 1 {
		t.Errorf("built %d times, want once", n)
	}
	if n := waiting(); n != 2 {
		t.Errorf("%d callers said they were waiting, want 2", n)
	}
	if got := readFile(t, filepath.Join(dir, "slow")); got != "built" {
		t.Errorf("slow = %q", got)
	}
}

func TestDownloaderFromEnv(t *testing.T) {
	tests := map[string]struct {
		value   string
		enabled bool
		mirror  string
		wantErr bool
	}{
		"unset in a test":  {value: "", enabled: false},
		"off":              {value: "off", enabled: false},
		"OFF":              {value: "OFF", enabled: false},
		"on":               {value: "on", enabled: true},
		"mirror":           {value: "http://127.0.0.1:8080/k8s/", enabled: true, mirror: "http://127.0.0.1:8080/k8s/"},
		"https mirror":     {value: "https://mirror.example.com", enabled: true, mirror: "https://mirror.example.com"},
		"not a URL":        {value: "yes please", wantErr: true},
		"file URL":         {value: "file:///tmp/releases", wantErr: true},
		"with credentials": {value: "https://user:secret@mirror.example.com", wantErr: true},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Setenv(DownloadEnv, tt.value)
			d, err := downloaderFromEnv()
			if tt.wantErr {
				if err == nil {
					t.Fatalf("want an error for %q", tt.value)
				}
				if strings.Contains(err.Error(), "secret") {
					t.Errorf("the error shows the password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d.enabled() != tt.enabled {
				t.Errorf("enabled = %v, want %v", d.enabled(), tt.enabled)
			}
			if tt.mirror != "" && (d.mirror == nil || d.mirror.String() != tt.mirror) {
				t.Errorf("mirror = %v, want %s", d.mirror, tt.mirror)
			}
		})
	}
	t.Run("paths under a mirror", func(t *testing.T) {
		u, _ := url.Parse("http://127.0.0.1:8080/k8s/")
		d := &downloader{mirror: u}
		if got := d.url(kubernetesReleaseHost, "/release/v1/kube-apiserver"); got != "http://127.0.0.1:8080/k8s/release/v1/kube-apiserver" {
			t.Errorf("url = %s", got)
		}
		if got := (&downloader{}).url(kubernetesReleaseHost, "/release/v1/kube-apiserver"); got != "https://dl.k8s.io/release/v1/kube-apiserver" {
			t.Errorf("official url = %s", got)
		}
	})
}

func TestParseChecksum(t *testing.T) {
	sum := strings.Repeat("ab", 32)
	tests := map[string]struct {
		content, entry, want string
		wantErr              bool
	}{
		"lone digest":            {content: sum + "\n", want: sum},
		"digest and name":        {content: sum + "  kube-apiserver\n", want: sum},
		"upper case":             {content: strings.ToUpper(sum), want: sum},
		"list entry":             {content: strings.Repeat("cd", 32) + "  a.tar.gz\n" + sum + "  b.tar.gz\n", entry: "b.tar.gz", want: sum},
		"binary-mode list entry": {content: sum + " *b.tar.gz\n", entry: "b.tar.gz", want: sum},
		"entry missing":          {content: sum + "  a.tar.gz\n", entry: "b.tar.gz", wantErr: true},
		"entry as prefix":        {content: sum + "  b.tar.gz.asc\n", entry: "b.tar.gz", wantErr: true},
		"empty":                  {content: "\n", wantErr: true},
		"not hex":                {content: strings.Repeat("zz", 32), wantErr: true},
		"short":                  {content: "abcd", wantErr: true},
		"an HTML page":           {content: "<html>not found</html>", wantErr: true},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := parseChecksum(tt.content, tt.entry)
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseChecksum = %q, %v; want error %v", got, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("parseChecksum = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestExtractMember(t *testing.T) {
	archive := tarGz(t, map[string]string{"etcd-v1/etcd": "binary", "etcd-v1/etcdctl": "other"})
	dir := t.TempDir()
	dst := filepath.Join(dir, "etcd")
	if err := extractMember(bytes.NewReader(archive), "etcd-v1/etcd", dst); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, dst); got != "binary" {
		t.Errorf("extracted %q", got)
	}
	if err := extractMember(bytes.NewReader(archive), "etcd-v1/missing", filepath.Join(dir, "missing")); err == nil {
		t.Error("want an error for a missing member")
	}
	if err := extractMember(bytes.NewReader([]byte("not gzip")), "etcd-v1/etcd", filepath.Join(dir, "x")); err == nil {
		t.Error("want an error for a file that is not gzip")
	}
	// A link with the member's name is not followed.
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	if err := tw.WriteHeader(&tar.Header{Name: "etcd-v1/etcd", Typeflag: tar.TypeSymlink, Linkname: "/etc/passwd"}); err != nil {
		t.Fatal(err)
	}
	_ = tw.Close()
	_ = gz.Close()
	if err := extractMember(&buf, "etcd-v1/etcd", filepath.Join(dir, "link")); err == nil {
		t.Error("want an error for a symlink member")
	}
}

// TestProgressQuiet: away from a terminal a long step adds a line with its
// elapsed time and typical duration now and then, and one when it ends.
func TestProgressQuiet(t *testing.T) {
	var buf syncBuffer
	p := newProgress(&buf)
	if p.live {
		t.Fatal("a buffer is not a terminal")
	}
	p.quietInterval = 20 * time.Millisecond
	done := p.step("building kube-apiserver v1.37.2", "about 9 minutes", func() string { return "half way" })
	deadline := time.Now().Add(time.Minute)
	for strings.Count(buf.String(), "\n") < 3 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	done(nil)
	done(nil) // a second call is harmless
	out := buf.String()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if lines[0] != "ferry: building kube-apiserver v1.37.2... (typically about 9 minutes)" {
		t.Errorf("first line %q", lines[0])
	}
	if !strings.Contains(lines[1], "(typically about 9 minutes), half way") {
		t.Errorf("progress line %q lacks the typical duration and the detail", lines[1])
	}
	if last := lines[len(lines)-1]; !strings.HasPrefix(last, "ferry: building kube-apiserver v1.37.2: done in ") {
		t.Errorf("last line %q", last)
	}
	if strings.Contains(out, "\r") {
		t.Errorf("carriage returns away from a terminal:\n%q", out)
	}

	failed := p.step("downloading etcd", "", nil)
	failed(fmt.Errorf("boom"))
	mustContainAll(t, buf.String(), "ferry: downloading etcd failed after")
}

// TestProgressLive: on a terminal a step redraws one line in place and a
// message erases it first.
func TestProgressLive(t *testing.T) {
	var buf syncBuffer
	p := &progress{w: &buf, live: true, tick: 10 * time.Millisecond}
	done := p.step("building kwok v0.8.0", "about 2 minutes", nil)
	deadline := time.Now().Add(time.Minute)
	for strings.Count(buf.String(), "\r") < 3 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	done(nil)
	out := buf.String()
	if strings.Count(out, "\n") != 1 {
		t.Errorf("want one finished line, got:\n%q", out)
	}
	mustContainAll(t, out, "\r\033[Kferry: building kwok v0.8.0... ", "(typically about 2 minutes)", "\r\033[Kferry: building kwok v0.8.0: done in ")
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func mustContainAll(t *testing.T, got string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("output lacks %q:\n%s", w, got)
		}
	}
}

// assertNoLeftovers checks that no download or build directory is left in
// a cache directory.
func assertNoLeftovers(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".build-") || strings.HasPrefix(e.Name(), ".download-") {
			t.Errorf("left %s in the cache", e.Name())
		}
	}
}

func tarGz(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for name, content := range files {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o755, Size: int64(len(content)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(content)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
