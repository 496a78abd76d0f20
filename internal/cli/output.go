package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"

	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"
)

// The values of -o/--output.
const (
	outputTable = "table"
	outputJSON  = "json"
	outputYAML  = "yaml"
)

// outputFormats are the values -o accepts, the default first.
var outputFormats = []string{outputTable, outputJSON, outputYAML}

// listedObject is an object `get -o json|yaml` prints, with its kind.
type listedObject struct {
	kind   *kind
	object fluxObject
}

// printObjects writes objects as JSON or YAML in the form kubectl prints
// them: the object itself when single, otherwise a v1 List of them, sorted
// by kind, namespace and name. Managed fields are left out, as kubectl
// does by default; status is kept, it is what `get` is for.
func printObjects(w io.Writer, format string, objs []listedObject, single bool) error {
	sort.SliceStable(objs, func(i, j int) bool {
		a, b := objs[i], objs[j]
		if a.kind != b.kind {
			return a.kind.gvk.Kind < b.kind.gvk.Kind
		}
		if a.object.GetNamespace() != b.object.GetNamespace() {
			return a.object.GetNamespace() < b.object.GetNamespace()
		}
		return a.object.GetName() < b.object.GetName()
	})
	items := make([]any, 0, len(objs))
	for _, o := range objs {
		m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(o.object)
		if err != nil {
			return fmt.Errorf("encoding %s %s/%s: %w", o.kind.gvk.Kind, o.object.GetNamespace(), o.object.GetName(), err)
		}
		m["apiVersion"], m["kind"] = o.kind.gvk.GroupVersion().String(), o.kind.gvk.Kind
		if md, ok := m["metadata"].(map[string]any); ok {
			delete(md, "managedFields")
		}
		items = append(items, m)
	}
	var doc any = map[string]any{"apiVersion": "v1", "kind": "List", "metadata": map[string]any{}, "items": items}
	if single && len(items) == 1 {
		doc = items[0]
	}
	var data []byte
	var err error
	if format == outputJSON {
		data, err = json.MarshalIndent(doc, "", "    ")
		data = append(data, '\n')
	} else {
		data, err = yaml.Marshal(doc)
	}
	if err != nil {
		return fmt.Errorf("encoding the output: %w", err)
	}
	_, err = w.Write(data)
	return err
}
