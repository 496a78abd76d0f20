package diff

import (
	"context"
	"fmt"
	"sort"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// encryptedSecret compares a SOPS-encrypted Secret of the build with the
// cluster's: created when the cluster has none, drifted when the
// cluster's Secret has other data keys, nil when the keys are the same.
// Values are never compared or shown.
func encryptedSecret(ctx context.Context, c client.Client, obj *unstructured.Unstructured) (*Change, error) {
	live := &unstructured.Unstructured{}
	live.SetGroupVersionKind(obj.GroupVersionKind())
	if err := c.Get(ctx, client.ObjectKeyFromObject(obj), live); err != nil {
		if apierrors.IsNotFound(err) {
			return &Change{ID: Ref(obj), Action: Created}, nil
		}
		return nil, fmt.Errorf("%s: %w", Ref(obj), err)
	}
	want, have := secretKeys(obj), secretKeys(live)
	if strings.Join(want, ",") == strings.Join(have, ",") {
		return nil, nil
	}
	return &Change{ID: Ref(obj), Action: Drifted, Diff: fmt.Sprintf(
		"  data keys in the cluster: %s\n  data keys after apply:   %s\n  (SOPS-encrypted: values are not compared)",
		strings.Join(have, ", "), strings.Join(want, ", "))}, nil
}

// secretKeys returns the sorted keys of a Secret's data and stringData,
// without the sops_ metadata entries of an encrypted dotenv file.
func secretKeys(obj *unstructured.Unstructured) []string {
	seen := map[string]bool{}
	for _, field := range []string{"data", "stringData"} {
		m, _ := obj.Object[field].(map[string]any)
		for k := range m {
			if !strings.HasPrefix(k, "sops_") {
				seen[k] = true
			}
		}
	}
	keys := make([]string, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
