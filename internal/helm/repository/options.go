package repository

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/tlsconfig"
)

// DefaultMaxIndexSize bounds a repository index when Options.MaxIndexSize
// is zero: 50 MiB, Flux's limit.
const DefaultMaxIndexSize int64 = 50 << 20

// DefaultMaxChartSize bounds a chart archive when Options.MaxChartSize is
// zero: 10 MiB, Flux's limit.
const DefaultMaxChartSize int64 = 10 << 20

// DefaultTimeout bounds one operation when Options.Timeout is zero.
const DefaultTimeout = 60 * time.Second

// Keys of the Secrets a HelmRepository refers to, as Flux reads them.
const (
	UsernameKey = "username"
	PasswordKey = "password"
	// CertSecretRef keys.
	TLSCertKey = "tls.crt"
	TLSKeyKey  = "tls.key"
	CAKey      = "ca.crt"
	// Deprecated TLS keys of a secretRef Secret, used when there is no
	// certSecretRef.
	LegacyCertKey = "certFile"
	LegacyKeyKey  = "keyFile"
	LegacyCAKey   = "caFile"
)

// ErrInvalidURL is a repository URL ferry refuses: another scheme than
// http, https or oci, no host, or credentials in the URL.
var ErrInvalidURL = errors.New("invalid Helm repository URL")

// ErrAuthentication is a repository or registry that refused the request
// (401 or 403).
var ErrAuthentication = errors.New("authentication failed")

// ErrInvalidIndex is an index that does not parse as a Helm repository
// index.
var ErrInvalidIndex = errors.New("invalid index")

// ErrTooLarge is an index or chart past its size limit.
var ErrTooLarge = errors.New("too large")

// Options say how to reach one Helm repository. Its String method never
// prints the password.
type Options struct {
	// URL is the repository: http(s)://host/path, or oci://host/path.
	URL string
	// Username and Password are sent as basic auth to URL's host (and to
	// every host with PassCredentials).
	Username, Password string
	// TLS is the client TLS configuration (CA, client certificate); nil
	// uses the system roots.
	TLS *tls.Config
	// PassCredentials sends the credentials to chart URLs on other hosts.
	PassCredentials bool
	// Timeout bounds each operation; zero means DefaultTimeout.
	Timeout time.Duration
	// Insecure allows plain HTTP to an OCI registry.
	Insecure bool
	// MaxIndexSize bounds the index; zero means DefaultMaxIndexSize.
	MaxIndexSize int64
	// MaxChartSize bounds a chart archive; zero means DefaultMaxChartSize.
	MaxChartSize int64
}

// String describes o without its password.
func (o Options) String() string {
	auth := "anonymous"
	if o.Username != "" || o.Password != "" {
		auth = fmt.Sprintf("basic auth %q ***", o.Username)
	}
	return fmt.Sprintf("%s (%s)", o.URL, auth)
}

// GoString is String, so %#v cannot reveal the password either.
func (o Options) GoString() string { return o.String() }

func (o Options) timeout() time.Duration {
	if o.Timeout > 0 {
		return o.Timeout
	}
	return DefaultTimeout
}

func (o Options) maxIndexSize() int64 {
	if o.MaxIndexSize > 0 {
		return o.MaxIndexSize
	}
	return DefaultMaxIndexSize
}

func (o Options) maxChartSize() int64 {
	if o.MaxChartSize > 0 {
		return o.MaxChartSize
	}
	return DefaultMaxChartSize
}

// ValidateURL checks a HelmRepository URL: scheme http, https or oci, a
// host, and no credentials (they belong in spec.secretRef). Errors wrap
// ErrInvalidURL and never repeat the userinfo.
func ValidateURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%w: cannot parse %q", ErrInvalidURL, redactRawURL(raw))
	}
	switch u.Scheme {
	case "http", "https", "oci":
	default:
		return fmt.Errorf("%w '%s': the scheme must be http, https or oci", ErrInvalidURL, redactRawURL(raw))
	}
	if u.User != nil {
		return fmt.Errorf("%w '%s': credentials in the URL are not allowed: put them in a Secret and set spec.secretRef", ErrInvalidURL, redactRawURL(raw))
	}
	if u.Host == "" {
		return fmt.Errorf("%w '%s': no host", ErrInvalidURL, redactRawURL(raw))
	}
	if u.Scheme == "oci" && (u.RawQuery != "" || u.Fragment != "") {
		return fmt.Errorf("%w '%s': an oci URL has no query or fragment", ErrInvalidURL, redactRawURL(raw))
	}
	return nil
}

// OptionsFor turns a HelmRepository into Options, reading spec.secretRef
// (username and password; for OCI also a kubernetes.io/dockerconfigjson
// Secret; the deprecated certFile, keyFile and caFile when there is no
// certSecretRef) and spec.certSecretRef (tls.crt, tls.key, ca.crt) from c in
// the repository's namespace. Errors name the Secret and the key, never a
// value; an invalid URL wraps ErrInvalidURL.
func OptionsFor(ctx context.Context, c client.Reader, obj *sourcev1.HelmRepository) (Options, error) {
	opts := Options{
		URL:             obj.Spec.URL,
		PassCredentials: obj.Spec.PassCredentials,
		Timeout:         obj.GetTimeout(),
		Insecure:        obj.Spec.Insecure,
	}
	if err := ValidateURL(obj.Spec.URL); err != nil {
		return opts, err
	}
	oci := strings.HasPrefix(obj.Spec.URL, "oci://")
	if obj.IsOCI() != oci {
		if oci {
			return opts, fmt.Errorf("%w '%s': an oci:// URL needs spec.type 'oci'", ErrInvalidURL, obj.Spec.URL)
		}
		return opts, fmt.Errorf("%w '%s': spec.type 'oci' needs an oci:// URL", ErrInvalidURL, obj.Spec.URL)
	}

	var certs *corev1.Secret
	keys := tlsconfig.Standard
	if ref := obj.Spec.SecretRef; ref != nil {
		secret, err := getSecret(ctx, c, obj.Namespace, ref.Name)
		if err != nil {
			return opts, err
		}
		if err := basicAuth(&opts, secret, oci); err != nil {
			return opts, err
		}
		if obj.Spec.CertSecretRef == nil && tlsconfig.Has(secret, tlsconfig.Legacy) {
			certs, keys = secret, tlsconfig.Legacy
		}
	}
	if ref := obj.Spec.CertSecretRef; ref != nil {
		secret, err := getSecret(ctx, c, obj.Namespace, ref.Name)
		if err != nil {
			return opts, err
		}
		certs = secret
		if !tlsconfig.Has(secret, tlsconfig.Standard) {
			return opts, fmt.Errorf("invalid secret '%s/%s': none of '%s', '%s' and '%s' is set", secret.Namespace, secret.Name, TLSCertKey, TLSKeyKey, CAKey)
		}
	}
	if certs != nil {
		cfg, err := tlsconfig.FromSecret(certs, keys)
		if err != nil {
			return opts, err
		}
		opts.TLS = cfg
	}
	return opts, nil
}

func getSecret(ctx context.Context, c client.Reader, namespace, name string) (*corev1.Secret, error) {
	secret := &corev1.Secret{}
	key := types.NamespacedName{Namespace: namespace, Name: name}
	if err := c.Get(ctx, key, secret); err != nil {
		return nil, fmt.Errorf("failed to get secret '%s': %w", key, err)
	}
	return secret, nil
}

// basicAuth reads username and password (or, for OCI, a docker config's
// entry for the registry) into opts.
func basicAuth(opts *Options, secret *corev1.Secret, oci bool) error {
	name := secret.Namespace + "/" + secret.Name
	if oci && secret.Type == corev1.SecretTypeDockerConfigJson {
		return dockerConfigAuth(opts, secret)
	}
	username, password := string(secret.Data[UsernameKey]), string(secret.Data[PasswordKey])
	switch {
	case username != "" && password == "":
		return fmt.Errorf("invalid secret '%s': '%s' requires '%s' to be set", name, UsernameKey, PasswordKey)
	case password != "" && username == "":
		return fmt.Errorf("invalid secret '%s': '%s' requires '%s' to be set", name, PasswordKey, UsernameKey)
	case username == "" && !tlsconfig.Has(secret, tlsconfig.Legacy):
		return fmt.Errorf("invalid secret '%s': required fields '%s' and '%s' are missing", name, UsernameKey, PasswordKey)
	}
	opts.Username, opts.Password = username, password
	return nil
}

// dockerConfigAuth reads the credentials for the registry of opts.URL from
// a kubernetes.io/dockerconfigjson Secret.
func dockerConfigAuth(opts *Options, secret *corev1.Secret) error {
	name := secret.Namespace + "/" + secret.Name
	var cfg struct {
		Auths map[string]struct {
			Username string `json:"username"`
			Password string `json:"password"`
			Auth     []byte `json:"auth"`
		} `json:"auths"`
	}
	if err := json.Unmarshal(secret.Data[corev1.DockerConfigJsonKey], &cfg); err != nil {
		return fmt.Errorf("invalid secret '%s': '%s' is not a docker config", name, corev1.DockerConfigJsonKey)
	}
	host := strings.SplitN(strings.TrimPrefix(opts.URL, "oci://"), "/", 2)[0]
	for server, a := range cfg.Auths {
		if server != host && strings.TrimPrefix(strings.TrimPrefix(server, "https://"), "http://") != host {
			continue
		}
		username, password := a.Username, a.Password
		if len(a.Auth) > 0 {
			u, p, ok := strings.Cut(string(a.Auth), ":")
			if !ok {
				return fmt.Errorf("invalid secret '%s': the 'auth' of '%s' is not 'username:password'", name, server)
			}
			username, password = u, p
		}
		opts.Username, opts.Password = username, password
		return nil
	}
	return fmt.Errorf("invalid secret '%s': no credentials for registry '%s' in '%s'", name, host, corev1.DockerConfigJsonKey)
}
