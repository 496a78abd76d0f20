// Package ocitest is an in-process OCI registry on loopback for tests
// (go-containerregistry's pkg/registry) with optional basic auth and TLS,
// which counts the requests it answers, and the artifacts ferry's tests
// push to it.
package ocitest

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/ferrycd/ferry/internal/oci"
)

// Options configure a Registry.
type Options struct {
	// Username and Password, when either is set, make every request need
	// them as HTTP basic auth.
	Username, Password string
	// TLS serves HTTPS with a certificate of httptest's CA (CA returns it).
	TLS bool
	// PageSize, when positive, caps every tag list at this many tags and
	// links the next page as the distribution spec says (a Link header
	// with rel="next"), as Docker Hub and GHCR do; zero serves every tag
	// in one response.
	PageSize int
}

// Registry is a running registry.
type Registry struct {
	srv *httptest.Server

	mu       sync.Mutex
	requests map[string]int // "METHOD kind" → count; kind is manifests, blobs, tags or other
	total    int
}

// Start starts a registry closed at the end of t.
func Start(t testing.TB, opts Options) *Registry {
	t.Helper()
	r := &Registry{requests: map[string]int{}}
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	h := http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if opts.Username != "" || opts.Password != "" {
			u, p, ok := req.BasicAuth()
			if !ok || subtle.ConstantTimeCompare([]byte(u), []byte(opts.Username)) != 1 || subtle.ConstantTimeCompare([]byte(p), []byte(opts.Password)) != 1 {
				w.Header().Set("WWW-Authenticate", `Basic realm="ocitest"`)
				http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`, http.StatusUnauthorized)
				return
			}
		}
		r.count(req)
		if opts.PageSize > 0 && req.Method == http.MethodGet && strings.HasSuffix(req.URL.Path, "/tags/list") {
			servePage(w, req, reg, opts.PageSize)
			return
		}
		reg.ServeHTTP(w, req)
	})
	if opts.TLS {
		r.srv = httptest.NewTLSServer(h)
	} else {
		r.srv = httptest.NewServer(h)
	}
	t.Cleanup(r.srv.Close)
	return r
}

// servePage answers a tag list request one page at a time: the tags
// after the query's "last", at most min(n, size) of them, with a Link to
// the next page when more remain.
func servePage(w http.ResponseWriter, req *http.Request, reg http.Handler, size int) {
	all := httptest.NewRecorder()
	full := req.Clone(req.Context())
	full.URL.RawQuery = ""
	reg.ServeHTTP(all, full)
	if all.Code != http.StatusOK {
		w.WriteHeader(all.Code)
		w.Write(all.Body.Bytes())
		return
	}
	var list struct {
		Name string   `json:"name"`
		Tags []string `json:"tags"`
	}
	if err := json.Unmarshal(all.Body.Bytes(), &list); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	sort.Strings(list.Tags)
	q := req.URL.Query()
	if last := q.Get("last"); last != "" {
		list.Tags = list.Tags[sort.SearchStrings(list.Tags, last+"\x00"):]
	}
	n := size
	if v, err := strconv.Atoi(q.Get("n")); err == nil && v > 0 && v < n {
		n = v
	}
	if len(list.Tags) > n {
		list.Tags = list.Tags[:n]
		next := url.Values{"n": {strconv.Itoa(n)}, "last": {list.Tags[n-1]}}
		w.Header().Set("Link", fmt.Sprintf(`<%s?%s>; rel="next"`, req.URL.Path, next.Encode()))
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(list)
}

func (r *Registry) count(req *http.Request) {
	kind := "other"
	for _, k := range []string{"manifests", "blobs", "tags"} {
		if strings.Contains(req.URL.Path, "/"+k+"/") {
			kind = k
		}
	}
	r.mu.Lock()
	r.total++
	r.requests[req.Method+" "+kind]++
	if kind == "blobs" && req.Method == http.MethodGet {
		r.requests["GET "+req.URL.Path[strings.LastIndex(req.URL.Path, "/")+1:]]++
	}
	r.mu.Unlock()
}

// Requests returns how many requests of method for kind (manifests, blobs
// or tags) the registry answered.
func (r *Registry) Requests(method, kind string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.requests[method+" "+kind]
}

// Total returns how many requests the registry answered, of any kind
// (the /v2/ ping and token requests included).
func (r *Registry) Total() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.total
}

// Fetched returns how many times the blob of digest was downloaded.
func (r *Registry) Fetched(digest string) int { return r.Requests("GET", digest) }

// Host returns "127.0.0.1:port".
func (r *Registry) Host() string {
	return strings.TrimPrefix(strings.TrimPrefix(r.srv.URL, "http://"), "https://")
}

// URL returns the oci:// URL of repository on the registry.
func (r *Registry) URL(repository string) string { return "oci://" + r.Host() + "/" + repository }

// CA returns the PEM of the CA of a TLS registry.
func (r *Registry) CA() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: r.srv.Certificate().Raw})
}

// Close stops the registry before the end of the test: a registry that
// went down.
func (r *Registry) Close() { r.srv.Close() }

// Client returns an HTTP client trusting the registry.
func (r *Registry) Client() *http.Client { return r.srv.Client() }

// TarGz is oci.TarGz for a test: it panics on an error.
func TarGz(files map[string]string) []byte {
	b, err := oci.TarGz(files)
	if err != nil {
		panic(fmt.Sprintf("ocitest: %v", err))
	}
	return b
}

// CosignKey is a key pair as `cosign generate-key-pair` makes (ECDSA
// P-256): its signer and the PEM of its public key (cosign.pub).
type CosignKey struct {
	signature.Signer
	PublicPEM []byte
}

// NewCosignKey generates a CosignKey.
func NewCosignKey(t testing.TB) CosignKey {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := signature.LoadSigner(priv, crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := cryptoutils.MarshalPublicKeyToPEM(priv.Public())
	if err != nil {
		t.Fatal(err)
	}
	return CosignKey{Signer: signer, PublicPEM: pub}
}

// Push pushes img to repository:tag (with opts, for a registry that needs
// credentials or TLS; plain HTTP without) and returns its digest.
func (r *Registry) Push(t testing.TB, repository, tag string, img v1.Image, opts ...oci.Options) string {
	t.Helper()
	o := oci.Options{Insecure: true}
	if len(opts) > 0 {
		o = opts[0]
	}
	c := oci.New(o)
	defer c.Close()
	repo, err := c.Repository(r.URL(repository))
	if err != nil {
		t.Fatal(err)
	}
	d, err := c.Push(context.Background(), repo.Tag(tag), img)
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}

// PushTags pushes a small image to repository once and points every tag
// of tags at it, one manifest PUT per tag (no blob is uploaded again), as
// CI tagging one build many times does; it returns the image's digest.
func (r *Registry) PushTags(t testing.TB, repository string, tags []string, opts ...oci.Options) string {
	t.Helper()
	if len(tags) == 0 {
		t.Fatal("ocitest: PushTags needs at least one tag")
	}
	img, err := oci.Image(TarGz(map[string]string{"tag": repository}), oci.ContentMediaType, nil)
	if err != nil {
		t.Fatal(err)
	}
	digest := r.Push(t, repository, tags[0], img, opts...)
	o := oci.Options{Insecure: true}
	if len(opts) > 0 {
		o = opts[0]
	}
	c := oci.New(o)
	defer c.Close()
	repo, err := c.Repository(r.URL(repository))
	if err != nil {
		t.Fatal(err)
	}
	for _, tag := range tags[1:] {
		if err := remote.Put(repo.Tag(tag), img, c.Remote(context.Background())...); err != nil {
			t.Fatalf("ocitest: tagging %s:%s: %v", repository, tag, err)
		}
	}
	return digest
}

// Sign pushes the cosign signature by key of the manifest digest of
// repository (the signature of signedDigest, which is digest unless a
// test forges a copied signature), as `cosign sign --key` does, to a
// plain-HTTP registry without credentials.
func (r *Registry) Sign(t testing.TB, repository, digest, signedDigest string, key CosignKey) {
	t.Helper()
	repo, err := oci.ParseRepository(r.URL(repository), true)
	if err != nil {
		t.Fatal(err)
	}
	h, err := v1.NewHash(digest)
	if err != nil {
		t.Fatal(err)
	}
	signed, err := v1.NewHash(signedDigest)
	if err != nil {
		t.Fatal(err)
	}
	img, err := oci.CosignSignatureImage(repo, signed, key)
	if err != nil {
		t.Fatal(err)
	}
	r.Push(t, repository, oci.CosignSignatureTag(h), img)
}
