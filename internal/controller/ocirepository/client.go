package ocirepository

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"

	"github.com/google/go-containerregistry/pkg/name"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/clientpool"
	"github.com/ferrycd/ferry/internal/oci"
	"github.com/ferrycd/ferry/internal/source"
	"github.com/ferrycd/ferry/internal/status"
	"github.com/ferrycd/ferry/internal/tlsconfig"
)

// UnsupportedProviderReason is ferry's reason for a spec.provider other
// than generic, and for a verification it cannot perform yet.
const UnsupportedProviderReason = "UnsupportedProvider"

const cosignProvider = "cosign"

// Keys of a spec.proxySecretRef Secret, as Flux reads them.
const (
	proxyAddressKey  = "address"
	proxyUsernameKey = "username"
	proxyPasswordKey = "password"
)

// unsupported refuses the providers and verifications ferry does not
// implement yet. A spec.verify is refused rather than ignored: an
// artifact that was meant to be verified is never served unverified.
func unsupported(obj *sourcev1.OCIRepository) *source.Failure {
	if p := obj.GetProvider(); p != sourcev1.GitProviderGeneric {
		return &source.Failure{CondType: meta.FetchFailedCondition, Reason: UnsupportedProviderReason, Stalled: true,
			Err: fmt.Errorf("provider '%s' is not supported by ferry yet: use provider '%s' with spec.secretRef", p, sourcev1.GitProviderGeneric)}
	}
	v := obj.Spec.Verify
	var err error
	switch {
	case v == nil:
		return nil
	case v.Provider != cosignProvider:
		err = fmt.Errorf("verification provider '%s' is not supported by ferry yet: the artifact is not pulled unverified; use provider 'cosign' with public keys in spec.verify.secretRef", v.Provider)
	case v.SecretRef == nil:
		err = errors.New("keyless cosign verification (spec.verify without secretRef) is not supported by ferry yet: it needs the Fulcio and Rekor services; the artifact is not pulled unverified; sign with a key pair (cosign sign --key) and put its public key in a Secret named by spec.verify.secretRef")
	default:
		return nil
	}
	status.MarkFalse(obj, meta.SourceVerifiedCondition, UnsupportedProviderReason, "%s", err.Error())
	return &source.Failure{Reason: UnsupportedProviderReason, Stalled: true, Err: err}
}

// client returns the registry client of obj's spec: the Docker config of
// spec.secretRef and of the ServiceAccount's imagePullSecrets, the TLS of
// spec.certSecretRef, the proxy of spec.proxySecretRef. It comes from the
// reconciler's pool, keyed by a digest of all of them, so objects reaching
// one registry the same way share connections and authentication.
func (r *Reconciler) client(ctx context.Context, obj *sourcev1.OCIRepository) (*oci.Client, name.Repository, *source.Failure) {
	authFailure := func(err error) *source.Failure {
		return &source.Failure{CondType: meta.FetchFailedCondition, Reason: meta.AuthenticationFailedReason, Err: err}
	}
	repo, err := oci.ParseRepository(obj.Spec.URL, obj.Spec.Insecure)
	if err != nil {
		return nil, name.Repository{}, pullFailure(obj, err)
	}
	opts := oci.Options{Insecure: obj.Spec.Insecure}
	key := clientpool.NewKey(repo.RegistryStr(), strconv.FormatBool(obj.Spec.Insecure))

	var pullSecrets []*corev1.Secret
	if ref := obj.Spec.SecretRef; ref != nil {
		s, err := r.secret(ctx, obj.Namespace, ref.Name)
		if err != nil {
			return nil, repo, authFailure(err)
		}
		pullSecrets = append(pullSecrets, s)
	}
	if sa := obj.Spec.ServiceAccountName; sa != "" {
		account := &corev1.ServiceAccount{}
		if err := r.Get(ctx, types.NamespacedName{Namespace: obj.Namespace, Name: sa}, account); err != nil {
			return nil, repo, authFailure(fmt.Errorf("failed to get service account '%s/%s': %w", obj.Namespace, sa, err))
		}
		for _, ps := range account.ImagePullSecrets {
			s, err := r.secret(ctx, obj.Namespace, ps.Name)
			if err != nil {
				return nil, repo, authFailure(fmt.Errorf("image pull secret of service account '%s': %w", sa, err))
			}
			pullSecrets = append(pullSecrets, s)
		}
	}
	if len(pullSecrets) > 0 {
		kc, err := oci.KeychainFromSecrets(pullSecrets...)
		if err != nil {
			return nil, repo, authFailure(err)
		}
		opts.Keychain = kc
		key.Add("pull").Secrets(pullSecrets...)
	}

	if ref := obj.Spec.CertSecretRef; ref != nil {
		s, err := r.secret(ctx, obj.Namespace, ref.Name)
		if err != nil {
			return nil, repo, authFailure(err)
		}
		if opts.TLS, err = tlsconfig.FromSecret(s, tlsconfig.Standard); err != nil {
			return nil, repo, authFailure(fmt.Errorf("invalid TLS secret '%s/%s': %w", s.Namespace, s.Name, err))
		}
		key.Add("tls").Secrets(s)
	}
	if ref := obj.Spec.ProxySecretRef; ref != nil {
		s, err := r.secret(ctx, obj.Namespace, ref.Name)
		if err != nil {
			return nil, repo, authFailure(err)
		}
		u, err := url.Parse(string(s.Data[proxyAddressKey]))
		if err != nil || u.Host == "" {
			return nil, repo, authFailure(fmt.Errorf("invalid proxy secret '%s/%s': key '%s' must be a URL such as http://proxy:3128", s.Namespace, s.Name, proxyAddressKey))
		}
		if user := string(s.Data[proxyUsernameKey]); user != "" {
			u.User = url.UserPassword(user, string(s.Data[proxyPasswordKey]))
		}
		opts.Proxy = u
		key.Add("proxy").Add(u.String())
	}
	c, _ := r.pool().Get(key.String(), func() (*oci.Client, error) { return oci.New(opts), nil })
	return c, repo, nil
}

func (r *Reconciler) secret(ctx context.Context, namespace, name string) (*corev1.Secret, error) {
	s := &corev1.Secret{}
	if err := r.Get(ctx, types.NamespacedName{Namespace: namespace, Name: name}, s); err != nil {
		return nil, fmt.Errorf("failed to get secret '%s/%s': %w", namespace, name, err)
	}
	return s, nil
}
