package chartregistry

import (
	"crypto/subtle"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
)

// Repository is the path under the registry's host that charts are pushed
// to: a HelmRepository URL is "oci://HOST/" + Repository.
const Repository = "charts"

// Options configure a Registry.
type Options struct {
	// Username and Password, when either is set, make every request need
	// them as HTTP basic auth (401 with a Basic challenge otherwise); Push
	// sends them.
	Username, Password string
}

// Registry is an in-process OCI registry on loopback, plain HTTP.
type Registry struct {
	opts Options
	host string
	srv  *http.Server
}

// Start starts a Registry on 127.0.0.1 at a free port; the caller calls
// Close.
func Start(opts Options) (*Registry, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("starting the chart registry: %w", err)
	}
	r := &Registry{opts: opts, host: l.Addr().String()}
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	handler := http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if !r.authorized(req) {
			w.Header().Set("WWW-Authenticate", `Basic realm="ferry chart registry"`)
			http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`, http.StatusUnauthorized)
			return
		}
		reg.ServeHTTP(w, req)
	})
	r.srv = &http.Server{Handler: handler, ReadHeaderTimeout: 30 * time.Second}
	go func() { _ = r.srv.Serve(l) }()
	return r, nil
}

// Close stops the registry; what was pushed is gone.
func (r *Registry) Close() error { return r.srv.Close() }

// Host returns "127.0.0.1:port".
func (r *Registry) Host() string { return r.host }

// URL returns the HelmRepository URL of the charts pushed here,
// "oci://127.0.0.1:port/charts".
func (r *Registry) URL() string { return "oci://" + r.host + "/" + Repository }

func (r *Registry) authorized(req *http.Request) bool {
	if r.opts.Username == "" && r.opts.Password == "" {
		return true
	}
	u, p, ok := req.BasicAuth()
	if !ok {
		return false
	}
	userOK := subtle.ConstantTimeCompare([]byte(u), []byte(r.opts.Username)) == 1
	passOK := subtle.ConstantTimeCompare([]byte(p), []byte(r.opts.Password)) == 1
	return userOK && passOK
}
