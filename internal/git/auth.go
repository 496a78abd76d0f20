package git

import (
	"fmt"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	corev1 "k8s.io/api/core/v1"
)

// Keys of a GitRepository's spec.secretRef Secret, as Flux reads them.
const (
	UsernameKey    = "username"
	PasswordKey    = "password"
	BearerTokenKey = "bearerToken"
	CAKey          = "ca.crt"
	// LegacyCAKey is the older name of CAKey that Flux still accepts.
	LegacyCAKey = "caFile"
	// IdentityKey holds a PEM (or OpenSSH) private key for ssh URLs; its
	// passphrase, if any, is under PasswordKey.
	IdentityKey = "identity"
	// KnownHostsKey holds known_hosts lines for ssh URLs; required, as the
	// host key is always verified.
	KnownHostsKey = "known_hosts"
	// ClientCertKey and ClientKeyKey hold a PEM client certificate and its
	// key for TLS client authentication (mTLS).
	ClientCertKey = "tls.crt"
	ClientKeyKey  = "tls.key"
)

// Auth holds the credentials and trust settings for an HTTP(S) remote.
// Its String method never prints secret values.
type Auth struct {
	// Username and Password are sent as HTTP basic auth.
	Username string
	Password string
	// BearerToken is sent as "Authorization: Bearer <token>".
	BearerToken string
	// CABundle holds PEM certificates trusted in addition to the system pool.
	CABundle []byte
	// ClientCert and ClientKey are a PEM certificate and key presented to
	// an https remote that asks for a client certificate.
	ClientCert []byte
	ClientKey  []byte
	// Identity is the private key for ssh URLs; Password is its passphrase.
	Identity []byte
	// KnownHosts holds the known_hosts lines the ssh host key is verified
	// against.
	KnownHosts []byte
}

// AuthFromSecret reads the `username`, `password`, `bearerToken`, `ca.crt`
// (or `caFile`), `tls.crt`, `tls.key`, `identity` and `known_hosts` keys of
// secret. A nil secret yields nil auth. Whether the keys suit the URL's
// scheme (ssh needs `identity` and `known_hosts`) is checked when they are
// used.
func AuthFromSecret(secret *corev1.Secret) (*Auth, error) {
	if secret == nil {
		return nil, nil
	}
	a := &Auth{
		Username:    string(secret.Data[UsernameKey]),
		Password:    string(secret.Data[PasswordKey]),
		BearerToken: string(secret.Data[BearerTokenKey]),
		CABundle:    secret.Data[CAKey],
		ClientCert:  secret.Data[ClientCertKey],
		ClientKey:   secret.Data[ClientKeyKey],
		Identity:    secret.Data[IdentityKey],
		KnownHosts:  secret.Data[KnownHostsKey],
	}
	if len(a.CABundle) == 0 {
		a.CABundle = secret.Data[LegacyCAKey]
	}
	name := secret.Namespace + "/" + secret.Name
	switch {
	case a.Password != "" && a.Username == "" && len(a.Identity) == 0:
		return nil, fmt.Errorf("invalid secret '%s': '%s' requires '%s' to be set", name, PasswordKey, UsernameKey)
	case len(a.ClientCert) > 0 && len(a.ClientKey) == 0:
		return nil, fmt.Errorf("invalid secret '%s': '%s' requires '%s' to be set", name, ClientCertKey, ClientKeyKey)
	case len(a.ClientKey) > 0 && len(a.ClientCert) == 0:
		return nil, fmt.Errorf("invalid secret '%s': '%s' requires '%s' to be set", name, ClientKeyKey, ClientCertKey)
	case a.BearerToken != "" && a.Username != "":
		return nil, fmt.Errorf("invalid secret '%s': '%s' and '%s' cannot both be set", name, BearerTokenKey, UsernameKey)
	}
	return a, nil
}

// String describes a without revealing any secret value.
func (a Auth) String() string {
	switch {
	case len(a.Identity) > 0:
		return "ssh identity ***"
	case a.BearerToken != "":
		return "bearer token ***"
	case a.Username != "":
		return fmt.Sprintf("basic auth %q ***", a.Username)
	}
	return "<none>"
}

// GoString is String, so %#v cannot reveal secret values either.
func (a Auth) GoString() string { return a.String() }

// httpMethod returns the go-git auth method for a over http(s), or nil.
func (a *Auth) httpMethod() transport.AuthMethod {
	switch {
	case a == nil:
		return nil
	case a.BearerToken != "":
		return &githttp.TokenAuth{Token: a.BearerToken}
	case a.Username != "" || a.Password != "":
		return &githttp.BasicAuth{Username: a.Username, Password: a.Password}
	}
	return nil
}

func (a *Auth) caBundle() []byte {
	if a == nil {
		return nil
	}
	return a.CABundle
}

func (a *Auth) clientCert() (cert, key []byte) {
	if a == nil {
		return nil, nil
	}
	return a.ClientCert, a.ClientKey
}

// Redact returns msg without URL userinfo and without any secret value of a
// (password, bearer token), for messages built outside this package.
func (a *Auth) Redact(msg string) string {
	return scrub(msg, a.secrets()...)
}

// secrets returns the values that must never appear in an error.
func (a *Auth) secrets() []string {
	if a == nil {
		return nil
	}
	out := []string{a.Password, a.BearerToken}
	out = append(out, pemSecrets(a.Identity)...)
	return append(out, pemSecrets(a.ClientKey)...)
}

// pemSecrets returns a private key as a whole and each line of it long
// enough to be key material, so no fragment of it survives scrubbing.
func pemSecrets(key []byte) []string {
	if len(key) == 0 {
		return nil
	}
	out := []string{strings.TrimSpace(string(key))}
	for line := range strings.Lines(string(key)) {
		line = strings.TrimSpace(line)
		if len(line) >= 16 && !strings.HasPrefix(line, "-----") {
			out = append(out, line)
		}
	}
	return out
}
