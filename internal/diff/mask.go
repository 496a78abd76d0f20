package diff

import (
	"errors"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/ferrycd/ferry/internal/build"
)

// Mask replaces the values of Secrets in what is shown.
const Mask = "***"

// Masked returns a copy of an object of a drift safe to show: ssa has
// already replaced the values of a Secret's data with "***", "*** (before)"
// or "*** (after)", which shows which keys changed; stringData, should it
// appear, and the values sub read from Secrets during substitution are
// masked here. sub may be nil.
func Masked(obj *unstructured.Unstructured, sub *build.Substitution) *unstructured.Unstructured {
	out := obj.DeepCopy()
	if out.GetKind() == "Secret" && out.GroupVersionKind().Group == "" {
		if m, ok := out.Object["stringData"].(map[string]any); ok {
			for k := range m {
				m[k] = Mask
			}
		}
	}
	if sub != nil && len(sub.Sensitive) > 0 {
		out.Object = MaskStrings(out.Object, sub).(map[string]any)
	}
	return out
}

// MaskStrings masks the values sub read from Secrets in every string of v
// (an object read generically), in place, and returns v.
func MaskStrings(v any, sub *build.Substitution) any {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			t[k] = MaskStrings(e, sub)
		}
		return t
	case []any:
		for i, e := range t {
			t[i] = MaskStrings(e, sub)
		}
		return t
	case string:
		return sub.Mask(t)
	default:
		return v
	}
}

// MaskErr returns err with the values sub read from Secrets masked in its
// message; sub may be nil.
func MaskErr(err error, sub *build.Substitution) error {
	if sub == nil || err == nil {
		return err
	}
	if msg := sub.Mask(err.Error()); msg != err.Error() {
		return errors.New(msg)
	}
	return err
}
