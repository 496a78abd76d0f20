package release

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"helm.sh/helm/v4/pkg/strvals"

	helmv2 "github.com/ferrycd/ferry/api/helm/v2"
)

// ValuesError is a values reference that cannot be resolved: a missing
// object or key, or content that is not YAML. Its message names the
// reference, never the values.
type ValuesError struct{ msg string }

func (e *ValuesError) Error() string { return e.msg }

// ComposeValues returns the values of hr as Flux composes them: every
// spec.valuesFrom entry in order (a ConfigMap's or Secret's key merged at
// the root, or at targetPath with Helm's --set syntax), then spec.values;
// maps are merged deeply, anything else is replaced. An optional reference
// whose object or key is missing is skipped.
func ComposeValues(ctx context.Context, c client.Reader, hr *helmv2.HelmRelease) (map[string]any, error) {
	result := map[string]any{}
	for _, ref := range hr.Spec.ValuesFrom {
		data, found, err := valuesData(ctx, c, hr.Namespace, ref)
		if err != nil {
			return nil, err
		}
		if !found {
			continue
		}
		where := fmt.Sprintf("%s '%s/%s' key '%s'", ref.Kind, hr.Namespace, ref.Name, ref.GetValuesKey())
		if ref.TargetPath != "" {
			if err := setPath(result, ref.TargetPath, string(data)); err != nil {
				return nil, &ValuesError{fmt.Sprintf("unable to merge value from %s at path '%s': %v", where, ref.TargetPath, err)}
			}
			continue
		}
		values := map[string]any{}
		if err := yaml.Unmarshal(data, &values); err != nil {
			return nil, &ValuesError{fmt.Sprintf("unable to read values from %s: the content is not a YAML map", where)}
		}
		result = MergeMaps(result, values)
	}
	if hr.Spec.Values != nil && len(hr.Spec.Values.Raw) > 0 {
		values := map[string]any{}
		if err := json.Unmarshal(hr.Spec.Values.Raw, &values); err != nil {
			return nil, &ValuesError{fmt.Sprintf("unable to read spec.values: %v", err)}
		}
		result = MergeMaps(result, values)
	}
	return result, nil
}

// valuesData reads the key of one reference; found is false when an
// optional reference's object or key does not exist.
func valuesData(ctx context.Context, c client.Reader, namespace string, ref helmv2.ValuesReference) ([]byte, bool, error) {
	key := types.NamespacedName{Namespace: namespace, Name: ref.Name}
	var data map[string][]byte
	switch ref.Kind {
	case "ConfigMap":
		var cm corev1.ConfigMap
		if err := c.Get(ctx, key, &cm); err != nil {
			return nil, false, refError(ref, namespace, err)
		}
		data = map[string][]byte{}
		for k, v := range cm.Data {
			data[k] = []byte(v)
		}
		for k, v := range cm.BinaryData {
			data[k] = v
		}
	case "Secret":
		var s corev1.Secret
		if err := c.Get(ctx, key, &s); err != nil {
			return nil, false, refError(ref, namespace, err)
		}
		data = s.Data
	default:
		return nil, false, &ValuesError{fmt.Sprintf("unsupported values reference kind '%s': use ConfigMap or Secret", ref.Kind)}
	}
	v, ok := data[ref.GetValuesKey()]
	if !ok {
		if ref.Optional {
			return nil, false, nil
		}
		return nil, false, &ValuesError{fmt.Sprintf("missing key '%s' in %s '%s/%s'", ref.GetValuesKey(), ref.Kind, namespace, ref.Name)}
	}
	return v, true, nil
}

func refError(ref helmv2.ValuesReference, namespace string, err error) error {
	if apierrors.IsNotFound(err) {
		if ref.Optional {
			return nil
		}
		return &ValuesError{fmt.Sprintf("could not find %s '%s/%s'", ref.Kind, namespace, ref.Name)}
	}
	return fmt.Errorf("reading %s '%s/%s': %w", ref.Kind, namespace, ref.Name, err)
}

// setPath sets value at path with Helm's --set syntax; a value in single or
// double quotes is set literally (--set-literal: commas, dots and brackets
// kept), without the quotes.
func setPath(values map[string]any, path, value string) error {
	value = strings.TrimSpace(value)
	for _, q := range []string{"'", `"`} {
		if len(value) >= 2 && strings.HasPrefix(value, q) && strings.HasSuffix(value, q) {
			return strvals.ParseLiteralInto(path+"="+strings.Trim(value, q), values)
		}
	}
	return strvals.ParseInto(path+"="+value, values)
}

// MergeMaps merges b into a deeply and returns a: where both hold a map
// the maps are merged, otherwise b's value wins.
func MergeMaps(a, b map[string]any) map[string]any {
	out := make(map[string]any, len(a))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		if bm, ok := v.(map[string]any); ok {
			if am, ok := out[k].(map[string]any); ok {
				out[k] = MergeMaps(am, bm)
				continue
			}
		}
		out[k] = v
	}
	return out
}

// Digest returns "sha256:<hex>" of v's canonical JSON (map keys sorted):
// the config digest of values, the digest of post-renderers.
func Digest(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		b = []byte(fmt.Sprint(v))
	}
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}
