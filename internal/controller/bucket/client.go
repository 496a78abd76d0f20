package bucket

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/clientpool"
	"github.com/ferrycd/ferry/internal/s3"
	"github.com/ferrycd/ferry/internal/source"
	"github.com/ferrycd/ferry/internal/tlsconfig"
)

// UnsupportedProviderReason is ferry's reason for a spec.provider other
// than generic, and for spec.sts.
const UnsupportedProviderReason = "UnsupportedProvider"

// Keys of a spec.secretRef Secret, as Flux reads them for the generic
// provider.
const (
	accessKeyKey = "accesskey"
	secretKeyKey = "secretkey"
)

// Keys of a spec.proxySecretRef Secret, as Flux reads them.
const (
	proxyAddressKey  = "address"
	proxyUsernameKey = "username"
	proxyPasswordKey = "password"
)

// unsupported refuses the providers and the STS ferry does not implement
// yet, before any request.
func unsupported(obj *sourcev1.Bucket) *source.Failure {
	if p := obj.GetProvider(); p != sourcev1.BucketProviderGeneric {
		return &source.Failure{CondType: meta.FetchFailedCondition, Reason: UnsupportedProviderReason, Stalled: true,
			Err: fmt.Errorf("provider '%s' is not supported by ferry yet: use provider '%s' (any S3-compatible endpoint, %s included) with 'accesskey' and 'secretkey' in spec.secretRef",
				p, sourcev1.BucketProviderGeneric, providerService(p))}
	}
	if sts := obj.Spec.STS; sts != nil {
		return &source.Failure{CondType: meta.FetchFailedCondition, Reason: UnsupportedProviderReason, Stalled: true,
			Err: fmt.Errorf("spec.sts (provider '%s') is not supported by ferry yet: remove spec.sts and use provider '%s' with static 'accesskey' and 'secretkey' in spec.secretRef",
				sts.Provider, sourcev1.BucketProviderGeneric)}
	}
	return nil
}

func providerService(p string) string {
	switch p {
	case sourcev1.BucketProviderAmazon:
		return "AWS S3"
	case sourcev1.BucketProviderGoogle:
		return "Google Cloud Storage's S3 interoperability endpoint with HMAC keys"
	}
	return "S3-compatible gateways"
}

// client builds the S3 client of obj's spec: the static credentials of
// spec.secretRef, the TLS of spec.certSecretRef, the proxy of
// spec.proxySecretRef.
func (r *Reconciler) client(ctx context.Context, obj *sourcev1.Bucket) (*s3.Client, *source.Failure) {
	authFailure := func(err error) *source.Failure {
		return &source.Failure{CondType: meta.FetchFailedCondition, Reason: meta.AuthenticationFailedReason, Err: err}
	}
	opts := s3.Options{Endpoint: obj.Spec.Endpoint, Region: obj.Spec.Region, Insecure: obj.Spec.Insecure}
	key := clientpool.NewKey(obj.Spec.Endpoint, obj.Spec.Region, strconv.FormatBool(obj.Spec.Insecure))
	if ref := obj.Spec.SecretRef; ref != nil {
		s, err := r.secret(ctx, obj.Namespace, ref.Name)
		if err != nil {
			return nil, authFailure(err)
		}
		var missing []string
		for _, k := range []string{accessKeyKey, secretKeyKey} {
			if len(s.Data[k]) == 0 {
				missing = append(missing, "'"+k+"'")
			}
		}
		if len(missing) > 0 {
			return nil, authFailure(fmt.Errorf("invalid secret '%s/%s': required keys 'accesskey' and 'secretkey', missing %s",
				s.Namespace, s.Name, strings.Join(missing, " and ")))
		}
		opts.AccessKey, opts.SecretKey = string(s.Data[accessKeyKey]), string(s.Data[secretKeyKey])
		key.Add("credentials").Add(opts.AccessKey).Add(opts.SecretKey)
	}
	if ref := obj.Spec.CertSecretRef; ref != nil {
		s, err := r.secret(ctx, obj.Namespace, ref.Name)
		if err != nil {
			return nil, authFailure(err)
		}
		if opts.TLS, err = tlsconfig.FromSecret(s, tlsconfig.Standard); err != nil {
			return nil, authFailure(fmt.Errorf("invalid TLS secret '%s/%s': %w", s.Namespace, s.Name, err))
		}
		key.Add("tls").Secrets(s)
	}
	if ref := obj.Spec.ProxySecretRef; ref != nil {
		s, err := r.secret(ctx, obj.Namespace, ref.Name)
		if err != nil {
			return nil, authFailure(err)
		}
		u, err := url.Parse(string(s.Data[proxyAddressKey]))
		if err != nil || u.Host == "" {
			return nil, authFailure(fmt.Errorf("invalid proxy secret '%s/%s': key '%s' must be a URL such as http://proxy:3128", s.Namespace, s.Name, proxyAddressKey))
		}
		if user := string(s.Data[proxyUsernameKey]); user != "" {
			u.User = url.UserPassword(user, string(s.Data[proxyPasswordKey]))
		}
		opts.Proxy = u
		key.Add("proxy").Add(u.String())
	}
	c, err := r.pool().Get(key.String(), func() (*s3.Client, error) { return s3.New(opts) })
	if err != nil {
		return nil, bucketFailure(obj, err)
	}
	return c, nil
}

func (r *Reconciler) secret(ctx context.Context, namespace, name string) (*corev1.Secret, error) {
	s := &corev1.Secret{}
	if err := r.Get(ctx, types.NamespacedName{Namespace: namespace, Name: name}, s); err != nil {
		return nil, fmt.Errorf("failed to get secret '%s/%s': %w", namespace, name, err)
	}
	return s, nil
}

// bucketFailure classifies an error of the s3 package: a refusal of the
// credentials is AuthenticationFailed with a hint; a bad endpoint and an
// http:// one without spec.insecure stall; the rest is Flux's
// BucketOperationFailed, retried: an HTTPS request answered in plain
// HTTP too, as the endpoint may have answered in HTTPS before and may
// again.
func bucketFailure(obj *sourcev1.Bucket, err error) *source.Failure {
	f := &source.Failure{CondType: meta.FetchFailedCondition, Reason: sourcev1.BucketOperationFailedReason, Err: err}
	switch {
	case errors.Is(err, s3.ErrInvalidEndpoint):
		f.Reason, f.Stalled = meta.URLInvalidReason, true
	case errors.Is(err, s3.ErrPlainHTTP):
		f.Stalled = true
	case errors.Is(err, s3.ErrAuthentication):
		f.Reason = meta.AuthenticationFailedReason
		hint := "the bucket requires credentials: set spec.secretRef to a Secret with 'accesskey' and 'secretkey'"
		if ref := obj.Spec.SecretRef; ref != nil {
			hint = fmt.Sprintf("the server rejected the credentials of secret '%s' (spec.secretRef), or they do not grant listing and reading bucket '%s'", ref.Name, obj.Spec.BucketName)
		}
		f.Err = fmt.Errorf("%w: %s", err, hint)
	}
	return f
}
