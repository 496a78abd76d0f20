package oci

import (
	"context"
	"fmt"
	"net/url"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferrycd/ferry/internal/clientpool"
	"github.com/ferrycd/ferry/internal/tlsconfig"
)

// Keys of a spec.proxySecretRef Secret, as Flux reads them.
const (
	proxyAddressKey  = "address"
	proxyUsernameKey = "username"
	proxyPasswordKey = "password"
)

// Access is how a Flux object reaches a registry, from the fields its
// OCIRepository and ImageRepository specs share: the Docker config of
// spec.secretRef and of the ServiceAccount's imagePullSecrets, the TLS of
// spec.certSecretRef, the proxy of spec.proxySecretRef, plain HTTP.
type Access struct {
	// Namespace is the object's; every Secret and the ServiceAccount are
	// read from it.
	Namespace string
	// Registry is the registry's host[:port].
	Registry string
	// SecretRef, CertSecretRef and ProxySecretRef name Secrets; empty for
	// none.
	SecretRef, CertSecretRef, ProxySecretRef string
	// ServiceAccountName names a ServiceAccount whose imagePullSecrets are
	// used too; empty for none.
	ServiceAccountName string
	// Insecure allows plain HTTP.
	Insecure bool
}

// Client returns the registry client of a, from pool: keyed by a digest
// of the registry, the credentials, TLS material and proxy, so objects
// reaching one registry the same way share connections and
// authentication. Its error says which Secret or ServiceAccount could not
// be used; the caller reports it as an authentication failure.
func (a Access) Client(ctx context.Context, c client.Reader, pool *clientpool.Pool[*Client]) (*Client, error) {
	opts := Options{Insecure: a.Insecure}
	key := clientpool.NewKey(a.Registry, strconv.FormatBool(a.Insecure))
	secret := func(name string) (*corev1.Secret, error) {
		s := &corev1.Secret{}
		if err := c.Get(ctx, types.NamespacedName{Namespace: a.Namespace, Name: name}, s); err != nil {
			return nil, fmt.Errorf("failed to get secret '%s/%s': %w", a.Namespace, name, err)
		}
		return s, nil
	}

	var pullSecrets []*corev1.Secret
	if a.SecretRef != "" {
		s, err := secret(a.SecretRef)
		if err != nil {
			return nil, err
		}
		pullSecrets = append(pullSecrets, s)
	}
	if sa := a.ServiceAccountName; sa != "" {
		account := &corev1.ServiceAccount{}
		if err := c.Get(ctx, types.NamespacedName{Namespace: a.Namespace, Name: sa}, account); err != nil {
			return nil, fmt.Errorf("failed to get service account '%s/%s': %w", a.Namespace, sa, err)
		}
		for _, ps := range account.ImagePullSecrets {
			s, err := secret(ps.Name)
			if err != nil {
				return nil, fmt.Errorf("image pull secret of service account '%s': %w", sa, err)
			}
			pullSecrets = append(pullSecrets, s)
		}
	}
	if len(pullSecrets) > 0 {
		kc, err := KeychainFromSecrets(pullSecrets...)
		if err != nil {
			return nil, err
		}
		opts.Keychain = kc
		key.Add("pull").Secrets(pullSecrets...)
	}

	if a.CertSecretRef != "" {
		s, err := secret(a.CertSecretRef)
		if err != nil {
			return nil, err
		}
		if opts.TLS, err = tlsconfig.FromSecret(s, tlsconfig.Standard); err != nil {
			return nil, fmt.Errorf("invalid TLS secret '%s/%s': %w", s.Namespace, s.Name, err)
		}
		key.Add("tls").Secrets(s)
	}
	if a.ProxySecretRef != "" {
		s, err := secret(a.ProxySecretRef)
		if err != nil {
			return nil, err
		}
		u, err := url.Parse(string(s.Data[proxyAddressKey]))
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("invalid proxy secret '%s/%s': key '%s' must be a URL such as http://proxy:3128", s.Namespace, s.Name, proxyAddressKey)
		}
		if user := string(s.Data[proxyUsernameKey]); user != "" {
			u.User = url.UserPassword(user, string(s.Data[proxyPasswordKey]))
		}
		opts.Proxy = u
		key.Add("proxy").Add(u.String())
	}
	cl, _ := pool.Get(key.String(), func() (*Client, error) { return New(opts), nil })
	return cl, nil
}
