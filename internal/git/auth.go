package git

import (
	"fmt"

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
}

// AuthFromSecret reads the `username`, `password`, `bearerToken` and `ca.crt`
// (or `caFile`) keys of secret. A nil secret yields nil auth.
func AuthFromSecret(secret *corev1.Secret) (*Auth, error) {
	if secret == nil {
		return nil, nil
	}
	a := &Auth{
		Username:    string(secret.Data[UsernameKey]),
		Password:    string(secret.Data[PasswordKey]),
		BearerToken: string(secret.Data[BearerTokenKey]),
		CABundle:    secret.Data[CAKey],
	}
	if len(a.CABundle) == 0 {
		a.CABundle = secret.Data[LegacyCAKey]
	}
	name := secret.Namespace + "/" + secret.Name
	switch {
	case a.Password != "" && a.Username == "":
		return nil, fmt.Errorf("invalid secret '%s': '%s' requires '%s' to be set", name, PasswordKey, UsernameKey)
	case a.BearerToken != "" && a.Username != "":
		return nil, fmt.Errorf("invalid secret '%s': '%s' and '%s' cannot both be set", name, BearerTokenKey, UsernameKey)
	}
	return a, nil
}

// String describes a without revealing any secret value.
func (a Auth) String() string {
	switch {
	case a.BearerToken != "":
		return "bearer token ***"
	case a.Username != "":
		return fmt.Sprintf("basic auth %q ***", a.Username)
	}
	return "<none>"
}

// GoString is String, so %#v cannot reveal secret values either.
func (a Auth) GoString() string { return a.String() }

// method returns the go-git auth method for a, or nil.
func (a *Auth) method() transport.AuthMethod {
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
	return []string{a.Password, a.BearerToken}
}
