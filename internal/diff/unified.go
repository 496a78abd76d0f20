package diff

import (
	"fmt"
	"strings"

	"github.com/pmezard/go-difflib/difflib"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// Unified returns the unified diff of the YAML of the live object and the
// dry-run result, without the fields the server maintains; subject names
// them in the headers. Mask both first (Masked): ssa has masked a Secret's
// data, not the values substituted from Secrets.
func Unified(subject string, live, merged *unstructured.Unstructured) (string, error) {
	a, err := diffYAML(live)
	if err != nil {
		return "", fmt.Errorf("encoding %s: %w", subject, err)
	}
	b, err := diffYAML(merged)
	if err != nil {
		return "", fmt.Errorf("encoding %s: %w", subject, err)
	}
	text, err := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
		A: difflib.SplitLines(a), B: difflib.SplitLines(b),
		FromFile: subject + " (cluster)", ToFile: subject + " (after apply)",
		Context: 3,
	})
	if err != nil {
		return "", fmt.Errorf("diffing %s: %w", subject, err)
	}
	return strings.TrimRight(text, "\n"), nil
}

// diffYAML encodes obj for a diff, leaving out status and the metadata
// the API server maintains.
func diffYAML(obj *unstructured.Unstructured) (string, error) {
	if obj == nil {
		return "", nil
	}
	o := obj.DeepCopy()
	delete(o.Object, "status")
	for _, f := range []string{"managedFields", "resourceVersion", "generation", "uid", "creationTimestamp"} {
		unstructured.RemoveNestedField(o.Object, "metadata", f)
	}
	data, err := yaml.Marshal(o.Object)
	return string(data), err
}
