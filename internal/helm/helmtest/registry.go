package helmtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// The media types `helm push` writes (helm.sh/helm/v4/pkg/registry).
const (
	ConfigMediaType     = "application/vnd.cncf.helm.config.v1+json"
	ChartLayerMediaType = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
)

// RegistryOptions configure a Registry.
type RegistryOptions struct {
	// Username and Password, when either is set, make every request need
	// them as HTTP basic auth (401 with a Basic challenge otherwise).
	Username, Password string
}

// Registry is an in-process OCI registry (go-containerregistry's
// pkg/registry, its logger silenced) on loopback, plain HTTP.
type Registry struct {
	opts RegistryOptions
	host string
	srv  *http.Server
}

// NewRegistry starts a Registry, closed by t.Cleanup. At most one
// RegistryOptions is used.
func NewRegistry(t testing.TB, opts ...RegistryOptions) *Registry {
	t.Helper()
	r, err := StartRegistry(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	return r
}

// StartRegistry is NewRegistry for a TestMain: the caller calls Close.
func StartRegistry(opts ...RegistryOptions) (*Registry, error) {
	r := &Registry{}
	if len(opts) > 0 {
		r.opts = opts[0]
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("helmtest: listen: %w", err)
	}
	r.host = l.Addr().String()
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	handler := http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if !authorized(req, r.opts.Username, r.opts.Password) {
			w.Header().Set("WWW-Authenticate", `Basic realm="ferry helmtest"`)
			http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`, http.StatusUnauthorized)
			return
		}
		reg.ServeHTTP(w, req)
	})
	r.srv = &http.Server{Handler: handler, ReadHeaderTimeout: 30 * time.Second}
	go func() { _ = r.srv.Serve(l) }()
	return r, nil
}

// Close stops the registry.
func (r *Registry) Close() { _ = r.srv.Close() }

// Host returns "127.0.0.1:port".
func (r *Registry) Host() string { return r.host }

// URL returns the HelmRepository URL of the charts pushed here,
// "oci://127.0.0.1:port/charts".
func (r *Registry) URL() string { return "oci://" + r.host + "/charts" }

// Tag returns the OCI tag of a chart version: "+" becomes "_".
func Tag(version string) string { return strings.ReplaceAll(version, "+", "_") }

// Push pushes the chart as `helm push` does, to repository "charts/<name>"
// with tag Tag(c.Version), and returns the manifest digest ("sha256:...").
func (r *Registry) Push(t testing.TB, c Chart) string {
	t.Helper()
	digest, err := r.PushChart(c)
	if err != nil {
		t.Fatal(err)
	}
	return digest
}

// PushChart is Push for callers without a testing.TB.
func (r *Registry) PushChart(c Chart) (string, error) {
	data, err := c.Archive()
	if err != nil {
		return "", err
	}
	config, err := json.Marshal(c.Metadata())
	if err != nil {
		return "", err
	}
	ref, err := name.NewTag(r.host+"/charts/"+c.Name+":"+Tag(c.Version), name.Insecure)
	if err != nil {
		return "", fmt.Errorf("helmtest: %w", err)
	}
	opts := []remote.Option{remote.WithAuth(authn.Anonymous)}
	if r.opts.Username != "" || r.opts.Password != "" {
		opts = []remote.Option{remote.WithAuth(&authn.Basic{Username: r.opts.Username, Password: r.opts.Password})}
	}
	configLayer := static.NewLayer(config, ConfigMediaType)
	chartLayer := static.NewLayer(data, ChartLayerMediaType)
	for _, l := range []v1.Layer{configLayer, chartLayer} {
		if err := remote.WriteLayer(ref.Context(), l, opts...); err != nil {
			return "", fmt.Errorf("helmtest: push %s: %w", ref, err)
		}
	}
	configDesc, err := describe(configLayer, nil)
	if err != nil {
		return "", err
	}
	chartDesc, err := describe(chartLayer, map[string]string{"org.opencontainers.image.title": c.FileName()})
	if err != nil {
		return "", err
	}
	m := v1.Manifest{
		SchemaVersion: 2,
		MediaType:     types.OCIManifestSchema1,
		Config:        configDesc,
		Layers:        []v1.Descriptor{chartDesc},
		Annotations: map[string]string{
			"org.opencontainers.image.title":       c.Name,
			"org.opencontainers.image.version":     c.Version,
			"org.opencontainers.image.description": c.Metadata().Description,
			"org.opencontainers.image.created":     fixedTime.Format(time.RFC3339),
		},
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return "", err
	}
	if err := remote.Put(ref, rawManifest(raw), opts...); err != nil {
		return "", fmt.Errorf("helmtest: push %s: %w", ref, err)
	}
	h, _, err := v1.SHA256(bytes.NewReader(raw))
	if err != nil {
		return "", err
	}
	return h.String(), nil
}

func describe(l v1.Layer, annotations map[string]string) (v1.Descriptor, error) {
	d, err := l.Digest()
	if err != nil {
		return v1.Descriptor{}, err
	}
	size, err := l.Size()
	if err != nil {
		return v1.Descriptor{}, err
	}
	mt, err := l.MediaType()
	if err != nil {
		return v1.Descriptor{}, err
	}
	return v1.Descriptor{MediaType: mt, Size: size, Digest: d, Annotations: annotations}, nil
}

// rawManifest is an OCI image manifest for remote.Put.
type rawManifest []byte

func (m rawManifest) RawManifest() ([]byte, error)        { return m, nil }
func (m rawManifest) MediaType() (types.MediaType, error) { return types.OCIManifestSchema1, nil }
