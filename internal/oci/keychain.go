package oci

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	corev1 "k8s.io/api/core/v1"
)

// Keychain holds the registry credentials of Docker config Secrets: each
// registry host maps to the first credentials found for it.
type Keychain struct {
	auths map[string]authn.AuthConfig
}

// dockerConfig is the JSON of a kubernetes.io/dockerconfigjson Secret
// (.dockerconfigjson) or a legacy kubernetes.io/dockercfg one (.dockercfg,
// the auths map alone).
type dockerConfig struct {
	Auths map[string]dockerAuth `json:"auths"`
}

type dockerAuth struct {
	Username      string `json:"username,omitempty"`
	Password      string `json:"password,omitempty"`
	Auth          string `json:"auth,omitempty"`
	IdentityToken string `json:"identitytoken,omitempty"`
	RegistryToken string `json:"registrytoken,omitempty"`
}

// KeychainFromSecrets reads secrets, in order, into a keychain. A Secret
// without Docker config data is an error that names it.
func KeychainFromSecrets(secrets ...*corev1.Secret) (*Keychain, error) {
	k := &Keychain{auths: map[string]authn.AuthConfig{}}
	for _, s := range secrets {
		var cfg dockerConfig
		switch {
		case len(s.Data[corev1.DockerConfigJsonKey]) > 0:
			if err := json.Unmarshal(s.Data[corev1.DockerConfigJsonKey], &cfg); err != nil {
				return nil, fmt.Errorf("secret '%s/%s': key '%s' is not a Docker config: %v", s.Namespace, s.Name, corev1.DockerConfigJsonKey, jsonError(err))
			}
		case len(s.Data[corev1.DockerConfigKey]) > 0:
			if err := json.Unmarshal(s.Data[corev1.DockerConfigKey], &cfg.Auths); err != nil {
				return nil, fmt.Errorf("secret '%s/%s': key '%s' is not a Docker config: %v", s.Namespace, s.Name, corev1.DockerConfigKey, jsonError(err))
			}
		default:
			return nil, fmt.Errorf("secret '%s/%s' has no key '%s': want a secret of type %s (kubectl create secret docker-registry)",
				s.Namespace, s.Name, corev1.DockerConfigJsonKey, corev1.SecretTypeDockerConfigJson)
		}
		for host, a := range cfg.Auths {
			c := authn.AuthConfig{Username: a.Username, Password: a.Password, IdentityToken: a.IdentityToken, RegistryToken: a.RegistryToken}
			if a.Auth != "" {
				raw, err := base64.StdEncoding.DecodeString(a.Auth)
				user, pass, ok := strings.Cut(string(raw), ":")
				if err != nil || !ok {
					return nil, fmt.Errorf("secret '%s/%s': the 'auth' of registry '%s' is not base64 of 'username:password'", s.Namespace, s.Name, host)
				}
				c.Username, c.Password = user, pass
			}
			h := registryHost(host)
			if _, seen := k.auths[h]; !seen {
				k.auths[h] = c
			}
		}
	}
	return k, nil
}

// Resolve returns the credentials for the registry of target, anonymous
// when the keychain has none for it.
func (k *Keychain) Resolve(target authn.Resource) (authn.Authenticator, error) {
	if k == nil {
		return authn.Anonymous, nil
	}
	host := target.RegistryStr()
	if c, ok := k.auths[host]; ok {
		return authn.FromConfig(c), nil
	}
	if host == "index.docker.io" {
		if c, ok := k.auths["docker.io"]; ok {
			return authn.FromConfig(c), nil
		}
	}
	return authn.Anonymous, nil
}

// registryHost is the host[:port] of a Docker config key, which may be a
// URL ("https://index.docker.io/v1/") or a bare host.
func registryHost(key string) string {
	if strings.Contains(key, "://") {
		if u, err := url.Parse(key); err == nil && u.Host != "" {
			key = u.Host
		}
	}
	key, _, _ = strings.Cut(key, "/")
	return key
}

// jsonError is a JSON error without the input it quotes (a Docker config
// holds passwords).
func jsonError(err error) string {
	if se := (*json.SyntaxError)(nil); errors.As(err, &se) {
		return fmt.Sprintf("invalid JSON at byte %d", se.Offset)
	}
	if te := (*json.UnmarshalTypeError)(nil); errors.As(err, &te) {
		return fmt.Sprintf("field '%s' has the wrong type", te.Field)
	}
	return "invalid JSON"
}
