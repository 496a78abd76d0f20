package build

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/drone/envsubst"
	"github.com/drone/envsubst/parse"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	sigsyaml "sigs.k8s.io/yaml"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
)

// ErrSubstitution is wrapped by the error Build returns when postBuild
// variable substitution fails: a variable without a value, an invalid
// variable name, or a reference that does not parse.
var ErrSubstitution = errors.New("postBuild substitution failed")

// substitutionDisabled reports whether obj opts out of substitution with the
// kustomize.toolkit.fluxcd.io/substitute: disabled label or annotation.
func substitutionDisabled(obj *unstructured.Unstructured) bool {
	return obj.GetAnnotations()[kustomizev1.SubstituteAnnotation] == kustomizev1.DisabledValue ||
		obj.GetLabels()[kustomizev1.SubstituteAnnotation] == kustomizev1.DisabledValue
}

// substitute returns obj with its variables replaced, or the names of the
// variables it references that have neither a value nor a default.
func substitute(obj *unstructured.Unstructured, s *Substitution) (*unstructured.Unstructured, []string, error) {
	data, err := sigsyaml.Marshal(obj.Object)
	if err != nil {
		return nil, nil, err
	}
	tree, err := parse.Parse(string(data))
	if err != nil {
		return nil, nil, fmt.Errorf("%w; write a literal ${ as $${, or annotate the object with %s: %s",
			err, kustomizev1.SubstituteAnnotation, kustomizev1.DisabledValue)
	}
	found := map[string]bool{}
	unset(tree.Root, s.Vars, found)
	if len(found) > 0 {
		return nil, slices.Sorted(maps.Keys(found)), nil
	}
	output, err := envsubst.Eval(string(data), func(name string) string {
		return strings.ReplaceAll(s.Vars[name], "\n", "")
	})
	if err != nil {
		return nil, nil, err
	}
	jsonData, err := sigsyaml.YAMLToJSON([]byte(output))
	if err != nil {
		return nil, nil, fmt.Errorf("the substituted YAML is invalid (a value may need quoting): %w", err)
	}
	res := &unstructured.Unstructured{}
	if err := res.UnmarshalJSON(jsonData); err != nil {
		return nil, nil, fmt.Errorf("the substituted object is invalid: %w", err)
	}
	return res, nil, nil
}

// hasDefault reports whether a function gives a value to an unset variable
// (${v:=x}, ${v=x}, ${v:-x}, ${v-x}) or makes it intentionally empty
// (${v:+x}, ${v+x}).
func hasDefault(fn string) bool {
	switch fn {
	case "=", ":=", "-", ":-", "+", ":+":
		return true
	}
	return false
}

// unset adds to found the variables referenced under n that have no value
// and no default. Arguments are checked only where they are used.
func unset(n parse.Node, vars map[string]string, found map[string]bool) {
	switch n := n.(type) {
	case *parse.ListNode:
		for _, c := range n.Nodes {
			unset(c, vars, found)
		}
	case *parse.FuncNode:
		_, set := vars[n.Param]
		switch {
		case set && hasDefault(n.Name):
			return // the default is not used
		case !set && !hasDefault(n.Name):
			found[n.Param] = true
		}
		for _, a := range n.Args {
			unset(a, vars, found)
		}
	}
}

// hasReference reports whether a string (key or value) in v holds a "$"; an
// object without one is the same after substitution ("$$" escapes become "$"
// as in Flux, so any "$" counts).
func hasReference(v any) bool {
	switch v := v.(type) {
	case string:
		return strings.Contains(v, "$")
	case map[string]any:
		for k, e := range v {
			if strings.Contains(k, "$") || hasReference(e) {
				return true
			}
		}
	case []any:
		for _, e := range v {
			if hasReference(e) {
				return true
			}
		}
	}
	return false
}

// references returns the variables obj references as ${VAR}, sorted.
func references(obj *unstructured.Unstructured) []string {
	data, err := sigsyaml.Marshal(obj.Object)
	if err != nil || !strings.Contains(string(data), "${") {
		return nil
	}
	tree, err := parse.Parse(string(data))
	if err != nil {
		return nil
	}
	found := map[string]bool{}
	var walk func(parse.Node)
	walk = func(n parse.Node) {
		switch n := n.(type) {
		case *parse.ListNode:
			for _, c := range n.Nodes {
				walk(c)
			}
		case *parse.FuncNode:
			found[n.Param] = true
			for _, a := range n.Args {
				walk(a)
			}
		}
	}
	walk(tree.Root)
	return slices.Sorted(maps.Keys(found))
}
