package helmtest

import (
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	repo "helm.sh/helm/v4/pkg/repo/v1"
	"sigs.k8s.io/yaml"
)

// HTTPRepoOptions configure an HTTPRepo.
type HTTPRepoOptions struct {
	// Username and Password, when either is set, make every request need
	// them as HTTP basic auth (401 otherwise).
	Username, Password string
	// TLS serves HTTPS with a fresh self-signed certificate (CACert).
	TLS bool
}

// HTTPRepo is a Helm HTTP chart repository on loopback: index.yaml and the
// chart archives, from memory.
type HTTPRepo struct {
	opts   HTTPRepoOptions
	url    string
	caCert []byte
	srv    *http.Server

	mu       sync.Mutex
	files    map[string][]byte // by URL path, "/index.yaml"
	index    *repo.IndexFile
	requests map[string]int
	down     bool
}

// NewHTTPRepo starts an HTTPRepo with an empty index, closed by t.Cleanup.
func NewHTTPRepo(t testing.TB, opts HTTPRepoOptions) *HTTPRepo {
	t.Helper()
	r, err := StartHTTPRepo(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	return r
}

// StartHTTPRepo is NewHTTPRepo for a TestMain: the caller calls Close.
func StartHTTPRepo(opts HTTPRepoOptions) (*HTTPRepo, error) {
	r := &HTTPRepo{
		opts:     opts,
		files:    map[string][]byte{},
		index:    newIndex(),
		requests: map[string]int{},
	}
	if err := r.writeIndex(); err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("helmtest: listen: %w", err)
	}
	scheme := "http"
	if opts.TLS {
		cert, certPEM, err := selfSignedCert()
		if err != nil {
			_ = l.Close()
			return nil, fmt.Errorf("helmtest: certificate: %w", err)
		}
		r.caCert = certPEM
		l = tls.NewListener(l, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
		scheme = "https"
	}
	r.url = scheme + "://" + l.Addr().String()
	r.srv = &http.Server{Handler: http.HandlerFunc(r.serve), ReadHeaderTimeout: 30 * time.Second}
	go func() { _ = r.srv.Serve(l) }()
	return r, nil
}

// Close stops the server.
func (r *HTTPRepo) Close() { _ = r.srv.Close() }

// URL returns the repository's URL, "http://127.0.0.1:port" (https with TLS).
func (r *HTTPRepo) URL() string { return r.url }

// CACert returns the PEM of the CA that signed the server's certificate, or
// nil without TLS.
func (r *HTTPRepo) CACert() []byte { return r.caCert }

// Add packages the charts, serves them at "/<name>-<version>.tgz" and
// rewrites index.yaml with every chart added so far, each entry with the
// archive's digest and a relative URL ("<name>-<version>.tgz"). Adding a
// name and version again replaces it. The index is deterministic: adding the
// same charts gives the same index.yaml.
func (r *HTTPRepo) Add(t testing.TB, charts ...Chart) {
	t.Helper()
	if err := r.AddCharts(charts...); err != nil {
		t.Fatal(err)
	}
}

// AddCharts is Add for callers without a testing.TB.
func (r *HTTPRepo) AddCharts(charts ...Chart) error {
	type packaged struct {
		c    Chart
		data []byte
	}
	var ps []packaged
	for _, c := range charts {
		data, err := c.Archive()
		if err != nil {
			return err
		}
		ps = append(ps, packaged{c, data})
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range ps {
		sum := sha256.Sum256(p.data)
		r.files["/"+p.c.FileName()] = p.data
		cv := &repo.ChartVersion{
			Metadata: p.c.Metadata(),
			URLs:     []string{p.c.FileName()},
			Created:  fixedTime,
			Digest:   hex.EncodeToString(sum[:]),
		}
		versions := r.index.Entries[p.c.Name]
		kept := versions[:0]
		for _, v := range versions {
			if v.Version != p.c.Version {
				kept = append(kept, v)
			}
		}
		r.index.Entries[p.c.Name] = append(kept, cv)
	}
	return r.writeIndex()
}

// writeIndex renders r.index to /index.yaml; r.mu is held or r is new.
func (r *HTTPRepo) writeIndex() error {
	r.index.SortEntries()
	data, err := yaml.Marshal(r.index)
	if err != nil {
		return fmt.Errorf("helmtest: index: %w", err)
	}
	r.files["/index.yaml"] = data
	return nil
}

// Put serves data at path ("/index.yaml", "/other.tgz") as it is, for tests
// that need an index or an archive Add does not write (absolute URLs, a
// corrupt or oversized index). A later Add rewrites /index.yaml.
func (r *HTTPRepo) Put(path string, data []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.files["/"+strings.TrimPrefix(path, "/")] = data
}

// Index returns the index.yaml currently served.
func (r *HTTPRepo) Index() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.files["/index.yaml"]
}

// Requests returns how many GET requests path ("/index.yaml") received,
// answered or not.
func (r *HTTPRepo) Requests(path string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.requests["/"+strings.TrimPrefix(path, "/")]
}

// SetDown makes the server answer 503 to every request while down is true.
func (r *HTTPRepo) SetDown(down bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.down = down
}

func (r *HTTPRepo) serve(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	if req.Method == http.MethodGet {
		r.requests[req.URL.Path]++
	}
	down := r.down
	data, ok := r.files[req.URL.Path]
	r.mu.Unlock()
	switch {
	case down:
		http.Error(w, "repository down", http.StatusServiceUnavailable)
	case !authorized(req, r.opts.Username, r.opts.Password):
		w.Header().Set("WWW-Authenticate", `Basic realm="ferry helmtest"`)
		http.Error(w, "authentication required", http.StatusUnauthorized)
	case req.Method != http.MethodGet && req.Method != http.MethodHead:
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	case !ok:
		http.NotFound(w, req)
	default:
		if strings.HasSuffix(req.URL.Path, ".tgz") {
			w.Header().Set("Content-Type", "application/gzip")
		} else {
			w.Header().Set("Content-Type", "application/x-yaml")
		}
		w.Header().Set("Content-Length", fmt.Sprint(len(data)))
		if req.Method == http.MethodGet {
			_, _ = w.Write(data)
		}
	}
}

// authorized reports whether req carries the basic auth username and
// password, or none are required.
func authorized(req *http.Request, username, password string) bool {
	if username == "" && password == "" {
		return true
	}
	u, p, ok := req.BasicAuth()
	if !ok {
		return false
	}
	userOK := subtle.ConstantTimeCompare([]byte(u), []byte(username)) == 1
	passOK := subtle.ConstantTimeCompare([]byte(p), []byte(password)) == 1
	return userOK && passOK
}

func newIndex() *repo.IndexFile {
	return &repo.IndexFile{
		APIVersion: repo.APIVersionV1,
		Generated:  fixedTime,
		Entries:    map[string]repo.ChartVersions{},
	}
}
