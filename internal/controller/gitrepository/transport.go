package gitrepository

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/git"
)

// UnsupportedProviderReason is ferry's reason for a spec.provider other
// than generic: ferry cannot obtain credentials from a cloud provider yet.
const UnsupportedProviderReason = "UnsupportedProvider"

// Keys of a spec.proxySecretRef Secret, as Flux reads them.
const (
	ProxyAddressKey  = "address"
	ProxyUsernameKey = "username"
	ProxyPasswordKey = "password"
)

// providerFailure refuses the providers ferry does not implement; only
// generic (credentials from spec.secretRef) is supported.
func providerFailure(obj *sourcev1.GitRepository) *failure {
	if p := obj.GetProvider(); p != sourcev1.GitProviderGeneric {
		return &failure{CondType: meta.FetchFailedCondition, Reason: UnsupportedProviderReason, Stalled: true,
			Err: fmt.Errorf("provider '%s' is not supported by ferry yet: use provider '%s' with spec.secretRef", p, sourcev1.GitProviderGeneric)}
	}
	return nil
}

// proxy reads spec.proxySecretRef into proxy options; nil without one.
func proxy(ctx context.Context, c client.Reader, obj *sourcev1.GitRepository) (*git.Proxy, *failure) {
	if obj.Spec.ProxySecretRef == nil {
		return nil, nil
	}
	secret := &corev1.Secret{}
	key := types.NamespacedName{Namespace: obj.Namespace, Name: obj.Spec.ProxySecretRef.Name}
	if err := c.Get(ctx, key, secret); err != nil {
		return nil, &failure{CondType: meta.FetchFailedCondition, Reason: meta.AuthenticationFailedReason,
			Err: fmt.Errorf("failed to get proxy secret '%s': %w", key, err)}
	}
	p := &git.Proxy{
		Address:  string(secret.Data[ProxyAddressKey]),
		Username: string(secret.Data[ProxyUsernameKey]),
		Password: string(secret.Data[ProxyPasswordKey]),
	}
	if p.Address == "" {
		return nil, &failure{CondType: meta.FetchFailedCondition, Reason: meta.AuthenticationFailedReason,
			Err: fmt.Errorf("invalid proxy secret '%s': key '%s' is missing", key, ProxyAddressKey)}
	}
	return p, nil
}
