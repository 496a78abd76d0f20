package cli

import (
	"bytes"
	"fmt"
	"os"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"
)

// readFluxObjectFile reads the Flux object of kind gvk.Kind (any version of
// gvk.Group) named name from a YAML file of one or more documents, for
// `build --dry-run`; flag names the file's flag in messages.
func readFluxObjectFile[T client.Object](path, name, flag string, gvk schema.GroupVersionKind, newObject func() T) (T, error) {
	var zero T
	data, err := os.ReadFile(path)
	if err != nil {
		return zero, fmt.Errorf("%s: %w", flag, err)
	}
	var found []string
	for _, doc := range bytes.Split(append([]byte("\n"), data...), []byte("\n---")) {
		if len(bytes.TrimSpace(doc)) == 0 {
			continue
		}
		obj := newObject()
		if err := yaml.Unmarshal(doc, obj); err != nil {
			return zero, fmt.Errorf("%s %s: %w", flag, path, err)
		}
		got := obj.GetObjectKind().GroupVersionKind()
		if got.Kind != gvk.Kind || got.Group != gvk.Group {
			continue
		}
		if obj.GetName() == name {
			return obj, nil
		}
		found = append(found, obj.GetName())
	}
	if len(found) > 0 {
		return zero, fmt.Errorf("%s %s has no %s named %q (found %s)", flag, path, gvk.Kind, name, strings.Join(found, ", "))
	}
	return zero, fmt.Errorf("%s %s has no Flux %s (kind %s, apiVersion %s/...)", flag, path, gvk.Kind, gvk.Kind, gvk.Group)
}
