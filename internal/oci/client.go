package oci

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// Prefix is the scheme of an OCI repository URL.
const Prefix = "oci://"

// Errors a caller tells apart.
var (
	// ErrInvalidURL is a URL that does not name an OCI repository.
	ErrInvalidURL = errors.New("invalid OCI repository URL")
	// ErrAuthentication is a registry that refused the request's
	// credentials (or their absence).
	ErrAuthentication = errors.New("authentication failed")
	// ErrPlainHTTP is a plain-HTTP request without Options.Insecure.
	ErrPlainHTTP = errors.New("plain HTTP to an OCI registry needs spec.insecure: true")
)

// Options is how to reach one registry.
type Options struct {
	// Keychain resolves the credentials of a registry; nil is anonymous.
	Keychain authn.Keychain
	// TLS is the client TLS configuration; nil uses the system roots.
	TLS *tls.Config
	// Proxy is the HTTP(S) proxy to go through; nil goes direct (the
	// environment's proxy settings are not used, as in Flux).
	Proxy *url.URL
	// Insecure allows plain HTTP.
	Insecure bool
}

// Client is Options made into remote options, with a transport of its
// own and a remote.Puller that keeps, per repository, the transport it
// authenticated (the registry's ping and token exchange happen once, not
// per request); Close releases its idle connections.
type Client struct {
	opts      Options
	transport *http.Transport
	puller    *remote.Puller
}

// New returns a client for opts.
func New(opts Options) *Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = nil
	if opts.Proxy != nil {
		t.Proxy = http.ProxyURL(opts.Proxy)
	}
	if opts.TLS != nil {
		t.TLSClientConfig = opts.TLS.Clone()
	}
	c := &Client{opts: opts, transport: t}
	// NewPuller fails only for a bad option; these are fixed.
	c.puller, _ = remote.NewPuller(c.base()...)
	return c
}

// base are the options of every request: credentials, transport, agent.
func (c *Client) base() []remote.Option {
	kc := c.opts.Keychain
	if kc == nil {
		kc = anonymous{}
	}
	return []remote.Option{
		remote.WithAuthFromKeychain(kc),
		remote.WithTransport(&SchemeGuard{Next: c.transport, Insecure: c.opts.Insecure}),
		remote.WithUserAgent("ferry"),
	}
}

// Close closes the client's idle connections.
func (c *Client) Close() { c.transport.CloseIdleConnections() }

// Remote returns the remote options of a request bound to ctx; reads
// reuse the client's authenticated transports.
func (c *Client) Remote(ctx context.Context) []remote.Option {
	return append(c.base(), remote.WithContext(ctx), remote.Reuse(c.puller))
}

// Repository parses an oci:// URL (oci://host[:port]/path, no tag or
// digest) into a repository.
func (c *Client) Repository(rawURL string) (name.Repository, error) {
	return ParseRepository(rawURL, c.opts.Insecure)
}

// ParseRepository parses an oci:// URL into a repository; insecure lets
// it be reached over plain HTTP.
func ParseRepository(rawURL string, insecure bool) (name.Repository, error) {
	if !strings.HasPrefix(rawURL, Prefix) {
		return name.Repository{}, fmt.Errorf("%w '%s': the URL must start with %s", ErrInvalidURL, redactURL(rawURL), Prefix)
	}
	raw := strings.TrimSuffix(strings.TrimPrefix(rawURL, Prefix), "/")
	if strings.Contains(raw, "@") || strings.ContainsAny(raw, " \t\n") {
		return name.Repository{}, fmt.Errorf("%w '%s': credentials or a digest do not belong in the URL", ErrInvalidURL, redactURL(rawURL))
	}
	if !strings.Contains(raw, "/") {
		return name.Repository{}, fmt.Errorf("%w '%s': want oci://<registry>/<repository>", ErrInvalidURL, rawURL)
	}
	if strings.LastIndex(raw, ":") > strings.LastIndex(raw, "/") {
		return name.Repository{}, fmt.Errorf("%w '%s': set the tag in spec.ref.tag, not in the URL", ErrInvalidURL, rawURL)
	}
	var opts []name.Option
	if insecure {
		opts = append(opts, name.Insecure)
	}
	repo, err := name.NewRepository(raw, append(opts, name.StrictValidation)...)
	if err != nil {
		return name.Repository{}, fmt.Errorf("%w '%s': %v", ErrInvalidURL, rawURL, err)
	}
	if err := checkComponents(repo); err != nil {
		return name.Repository{}, fmt.Errorf("%w '%s': %v", ErrInvalidURL, rawURL, err)
	}
	return repo, nil
}

// checkComponents refuses a repository with an empty path component
// ("oci://ghcr.io//org/app"), which name.NewRepository lets through and
// the distribution spec does not allow.
func checkComponents(repo name.Repository) error {
	if strings.Contains("/"+repo.RepositoryStr()+"/", "//") {
		return fmt.Errorf("the repository '%s' has an empty path component", repo.RepositoryStr())
	}
	return nil
}

// Classify wraps err from a registry request described by what, marking
// a refused authentication with ErrAuthentication.
func Classify(what string, err error) error {
	var terr *transport.Error
	if errors.As(err, &terr) && (terr.StatusCode == http.StatusUnauthorized || terr.StatusCode == http.StatusForbidden) {
		return fmt.Errorf("%s: %w: %v", what, ErrAuthentication, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// SchemeGuard refuses plain HTTP unless Insecure.
type SchemeGuard struct {
	Next     http.RoundTripper
	Insecure bool
}

// RoundTrip sends req through Next unless it is plain HTTP and not allowed.
func (g *SchemeGuard) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme == "http" && !g.Insecure {
		return nil, ErrPlainHTTP
	}
	return g.Next.RoundTrip(req)
}

type anonymous struct{}

func (anonymous) Resolve(authn.Resource) (authn.Authenticator, error) { return authn.Anonymous, nil }

// redactURL drops the user information of a URL-like string: whatever
// its scheme (or with none), everything of its authority (up to the first
// '/', '?' or '#') before the last '@'.
func redactURL(raw string) string {
	scheme, rest := "", raw
	if i := strings.Index(raw, "://"); i >= 0 {
		scheme, rest = raw[:i+len("://")], raw[i+len("://"):]
	}
	authority := rest
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		authority = rest[:i]
	}
	if at := strings.LastIndex(authority, "@"); at >= 0 {
		return scheme + "***@" + rest[at+1:]
	}
	return raw
}
