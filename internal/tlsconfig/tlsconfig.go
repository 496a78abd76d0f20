// Package tlsconfig builds a client TLS configuration from the keys of a
// Secret, as Flux's certSecretRef reads them: a CA bundle (added to the
// system roots) and, optionally, a client certificate and its key.
package tlsconfig

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"

	corev1 "k8s.io/api/core/v1"
)

// Keys names the Secret keys of a client certificate, its private key and
// the CA certificates.
type Keys struct {
	Cert, Key, CA string
}

var (
	// Standard are the keys of a kubernetes.io/tls Secret with a CA:
	// tls.crt, tls.key and ca.crt.
	Standard = Keys{Cert: "tls.crt", Key: "tls.key", CA: "ca.crt"}
	// Legacy are the deprecated keys Flux still reads: certFile, keyFile
	// and caFile.
	Legacy = Keys{Cert: "certFile", Key: "keyFile", CA: "caFile"}
)

// Has reports whether secret sets any of keys.
func Has(secret *corev1.Secret, keys Keys) bool {
	return len(secret.Data[keys.Cert]) > 0 || len(secret.Data[keys.Key]) > 0 || len(secret.Data[keys.CA]) > 0
}

// FromSecret returns the TLS configuration that keys of secret describe,
// or nil when it sets none of them. Its errors name the Secret and the
// keys, never their contents.
func FromSecret(secret *corev1.Secret, keys Keys) (*tls.Config, error) {
	if !Has(secret, keys) {
		return nil, nil
	}
	name := secret.Namespace + "/" + secret.Name
	cert, key, ca := secret.Data[keys.Cert], secret.Data[keys.Key], secret.Data[keys.CA]
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	switch {
	case len(cert) > 0 && len(key) == 0:
		return nil, fmt.Errorf("invalid secret '%s': '%s' requires '%s' to be set", name, keys.Cert, keys.Key)
	case len(key) > 0 && len(cert) == 0:
		return nil, fmt.Errorf("invalid secret '%s': '%s' requires '%s' to be set", name, keys.Key, keys.Cert)
	case len(cert) > 0:
		pair, err := tls.X509KeyPair(cert, key)
		if err != nil {
			// The error of X509KeyPair never holds key material.
			return nil, fmt.Errorf("invalid secret '%s': '%s' and '%s' are not a certificate and its key: %w", name, keys.Cert, keys.Key, err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	if len(ca) > 0 {
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(ca) {
			return nil, fmt.Errorf("invalid secret '%s': '%s' holds no PEM certificate", name, keys.CA)
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}
