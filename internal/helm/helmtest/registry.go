package helmtest

import (
	"context"
	"fmt"
	"testing"

	"github.com/ferrycd/ferry/internal/chartregistry"
)

// The media types `helm push` writes (helm.sh/helm/v4/pkg/registry).
const (
	ConfigMediaType     = chartregistry.ConfigMediaType
	ChartLayerMediaType = chartregistry.ChartLayerMediaType
)

// RegistryOptions configure a Registry.
type RegistryOptions struct {
	// Username and Password, when either is set, make every request need
	// them as HTTP basic auth (401 with a Basic challenge otherwise).
	Username, Password string
}

// Registry is an in-process OCI registry (internal/chartregistry:
// go-containerregistry's pkg/registry, its logger silenced) on loopback,
// plain HTTP.
type Registry struct {
	reg *chartregistry.Registry
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
	var o RegistryOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	reg, err := chartregistry.Start(chartregistry.Options{Username: o.Username, Password: o.Password})
	if err != nil {
		return nil, fmt.Errorf("helmtest: %w", err)
	}
	return &Registry{reg: reg}, nil
}

// Close stops the registry.
func (r *Registry) Close() { _ = r.reg.Close() }

// Host returns "127.0.0.1:port".
func (r *Registry) Host() string { return r.reg.Host() }

// URL returns the HelmRepository URL of the charts pushed here,
// "oci://127.0.0.1:port/charts".
func (r *Registry) URL() string { return r.reg.URL() }

// Tag returns the OCI tag of a chart version: "+" becomes "_".
func Tag(version string) string { return chartregistry.Tag(version) }

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
	p, err := r.reg.Push(context.Background(), data, chartregistry.PushOptions{Created: fixedTime})
	if err != nil {
		return "", fmt.Errorf("helmtest: %w", err)
	}
	return p.Digest, nil
}
