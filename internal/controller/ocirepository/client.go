package ocirepository

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/oci"
	"github.com/ferrycd/ferry/internal/source"
	"github.com/ferrycd/ferry/internal/status"
)

// UnsupportedProviderReason is ferry's reason for a spec.provider other
// than generic, and for a verification it cannot perform yet.
const UnsupportedProviderReason = "UnsupportedProvider"

const cosignProvider = "cosign"

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

// client returns the registry client of obj's spec (see oci.Access), from
// the reconciler's pool.
func (r *Reconciler) client(ctx context.Context, obj *sourcev1.OCIRepository) (*oci.Client, name.Repository, *source.Failure) {
	repo, err := oci.ParseRepository(obj.Spec.URL, obj.Spec.Insecure)
	if err != nil {
		return nil, name.Repository{}, pullFailure(obj, err)
	}
	access := oci.Access{
		Namespace:          obj.Namespace,
		Registry:           repo.RegistryStr(),
		ServiceAccountName: obj.Spec.ServiceAccountName,
		Insecure:           obj.Spec.Insecure,
	}
	if ref := obj.Spec.SecretRef; ref != nil {
		access.SecretRef = ref.Name
	}
	if ref := obj.Spec.CertSecretRef; ref != nil {
		access.CertSecretRef = ref.Name
	}
	if ref := obj.Spec.ProxySecretRef; ref != nil {
		access.ProxySecretRef = ref.Name
	}
	c, err := access.Client(ctx, r.Client, r.pool())
	if err != nil {
		return nil, repo, &source.Failure{CondType: meta.FetchFailedCondition, Reason: meta.AuthenticationFailedReason, Err: err}
	}
	return c, repo, nil
}

func (r *Reconciler) secret(ctx context.Context, namespace, name string) (*corev1.Secret, error) {
	s := &corev1.Secret{}
	if err := r.Get(ctx, types.NamespacedName{Namespace: namespace, Name: name}, s); err != nil {
		return nil, fmt.Errorf("failed to get secret '%s/%s': %w", namespace, name, err)
	}
	return s, nil
}
