package kustomization

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/internal/decrypt"
)

// decryptionKeysHint says what a decryption Secret holds.
const decryptionKeysHint = "age (*.agekey) or PGP (*.asc) private keys"

// decryptor returns the build's decryption hook: it decrypts, in memory,
// a SOPS-encrypted Secret with the keys of spec.decryption.secretRef, as
// kustomize-controller does after the kustomize build. A Secret that is
// encrypted while spec.decryption is not set is an error: ferry never
// applies ciphertext as a Secret. The keys are read through keys once per
// build, and only when an encrypted Secret is built. Errors never show a
// value or a key.
func decryptor(ctx context.Context, keys client.Reader, obj *kustomizev1.Kustomization) func(*unstructured.Unstructured) error {
	var parsed *decrypt.Keys
	var keysErr error
	return func(o *unstructured.Unstructured) error {
		if !decrypt.IsEncrypted(o) || decrypt.Disabled(o) {
			return nil
		}
		if parsed == nil && keysErr == nil {
			parsed, keysErr = decryptionKeys(ctx, keys, obj)
		}
		if keysErr != nil {
			return keysErr
		}
		if err := parsed.DecryptObject(o); err != nil {
			return fmt.Errorf("decryption failed: %w", err)
		}
		return nil
	}
}

// decryptionKeys reads the keys of spec.decryption.secretRef through c.
func decryptionKeys(ctx context.Context, c client.Reader, obj *kustomizev1.Kustomization) (*decrypt.Keys, error) {
	dec := obj.Spec.Decryption
	switch {
	case dec == nil:
		return nil, fmt.Errorf("the Secret is SOPS-encrypted but spec.decryption is not set: set spec.decryption.provider to sops and spec.decryption.secretRef to a Secret holding the %s, or annotate it %s: disabled to apply it encrypted",
			decryptionKeysHint, decrypt.DisabledAnnotation)
	case dec.Provider != "sops":
		return nil, fmt.Errorf("the Secret is SOPS-encrypted but spec.decryption.provider is %q: set it to sops", dec.Provider)
	case dec.SecretRef == nil || dec.SecretRef.Name == "":
		return nil, fmt.Errorf("the Secret is SOPS-encrypted but spec.decryption.secretRef is not set: ferry decrypts with the %s of that Secret (cloud KMS and Vault keys are not supported)",
			decryptionKeysHint)
	}
	key := types.NamespacedName{Namespace: obj.Namespace, Name: dec.SecretRef.Name}
	secret := &corev1.Secret{}
	if err := c.Get(ctx, key, secret); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("decryption Secret %s (spec.decryption.secretRef) not found: create it with the %s", key, decryptionKeysHint)
		}
		return nil, fmt.Errorf("reading decryption Secret %s: %w", key, err)
	}
	keys, err := decrypt.ParseKeys(secret.Data)
	if err != nil {
		return nil, fmt.Errorf("decryption Secret %s: %w", key, err)
	}
	if keys.Len() == 0 {
		return nil, fmt.Errorf("decryption Secret %s holds no key: it needs %s", key, decryptionKeysHint)
	}
	return keys, nil
}
