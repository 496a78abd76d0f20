package build

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"regexp"
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

// VarNamePattern is the pattern variable names must match, as in Flux.
const VarNamePattern = `^[_[:alpha:]][_[:alpha:][:digit:]]*$`

var varName = regexp.MustCompile(VarNamePattern)

// ValidVarName reports whether name may be used as a postBuild variable.
func ValidVarName(name string) bool { return varName.MatchString(name) }

// originAnnotation is where kustomize records the file an object came from.
const originAnnotation = "config.kubernetes.io/origin"

// Substitution is the postBuild variable substitution of a build.
type Substitution struct {
	// Vars maps variable names to values: spec.postBuild.substituteFrom
	// merged in order, then spec.postBuild.substitute over them. Newlines
	// in values are dropped, as Flux does.
	Vars map[string]string

	// Sensitive holds values that must never appear in a message (those
	// read from Secrets); they are masked if a message would show them.
	Sensitive []string
}

// minMasked is the length from which sensitive values are masked: shorter
// ones ("1", "yes") would mask unrelated text, such as the digits of a
// revision, and reveal next to nothing.
const minMasked = 4

// Mask returns msg with every sensitive value of at least four characters
// replaced by "***"; s may be nil.
func (s *Substitution) Mask(msg string) string {
	if s == nil {
		return msg
	}
	values := slices.Clone(s.Sensitive)
	// Longest first, so that a value containing another is masked whole.
	slices.SortFunc(values, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
	for _, v := range values {
		if len(v) >= minMasked {
			msg = strings.ReplaceAll(msg, v, "***")
		}
	}
	return msg
}

// substitutionDisabled reports whether obj opts out of substitution with the
// kustomize.toolkit.fluxcd.io/substitute: disabled label or annotation.
func substitutionDisabled(obj *unstructured.Unstructured) bool {
	return obj.GetAnnotations()[kustomizev1.SubstituteAnnotation] == kustomizev1.DisabledValue ||
		obj.GetLabels()[kustomizev1.SubstituteAnnotation] == kustomizev1.DisabledValue
}

// objectProblem is a problem found in one object, for messages.
type objectProblem struct {
	id, file string
	vars     []string
}

func (p objectProblem) where() string {
	if p.file == "" {
		return p.id
	}
	return fmt.Sprintf("%s (%s)", p.id, p.file)
}

func (p objectProblem) String() string {
	refs := make([]string, len(p.vars))
	for i, v := range p.vars {
		refs[i] = "${" + v + "}"
	}
	return p.where() + ": " + strings.Join(refs, ", ")
}

// maxListed bounds how many objects a message lists.
const maxListed = 10

func listProblems(ps []objectProblem) string {
	var parts []string
	for i, p := range ps {
		if i == maxListed {
			parts = append(parts, fmt.Sprintf("and %d more objects", len(ps)-maxListed))
			break
		}
		parts = append(parts, p.String())
	}
	return strings.Join(parts, "; ")
}

// postBuild finishes the objects kustomize built in dir (relative to the
// root): it removes the origin annotations ferry added, sets commonMetadata,
// and substitutes variables (or warns about references left when there is
// no substitution).
func postBuild(objs []*unstructured.Unstructured, dir string, keepOrigin bool, opts *Options) ([]*unstructured.Unstructured, error) {
	s := opts.Substitution
	if s != nil {
		for _, name := range slices.Sorted(maps.Keys(s.Vars)) {
			if !ValidVarName(name) {
				return nil, fmt.Errorf("%w: variable name %q is invalid: it must match %s", ErrSubstitution, name, VarNamePattern)
			}
		}
	}
	var missing, unsubstituted []objectProblem
	out := make([]*unstructured.Unstructured, 0, len(objs))
	for _, obj := range objs {
		file := takeOrigin(obj, dir, keepOrigin)
		if opts.Decrypt != nil {
			if err := opts.Decrypt(obj); err != nil {
				return nil, fmt.Errorf("%s: %w", objectProblem{id: objectID(obj), file: file}.where(), err)
			}
		}
		res := obj
		if !substitutionDisabled(obj) && hasReference(obj.Object) {
			p := objectProblem{id: objectID(obj), file: file}
			if s == nil {
				if p.vars = references(obj); len(p.vars) > 0 {
					unsubstituted = append(unsubstituted, p)
				}
			} else {
				var err error
				res, p.vars, err = substitute(obj, s)
				if err != nil {
					return nil, fmt.Errorf("%w: %s: %s", ErrSubstitution, p.where(), s.Mask(err.Error()))
				}
				if len(p.vars) > 0 {
					missing = append(missing, p)
					continue
				}
			}
		}
		// After substitution, as kustomize-controller sets it at apply time.
		if cm := opts.CommonMetadata; cm != nil {
			setMetadata(res, cm)
		}
		out = append(out, res)
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%w: variables without a value: %s; set them in spec.postBuild.substitute or spec.postBuild.substituteFrom, "+
			"give them a default with ${VAR:=default}, write a literal ${VAR} as $${VAR}, "+
			"or annotate the object with %s: %s", ErrSubstitution, listProblems(missing), kustomizev1.SubstituteAnnotation, kustomizev1.DisabledValue)
	}
	if len(unsubstituted) > 0 {
		opts.warn(UnsubstitutedVariableReason, "variables left unsubstituted, because the Kustomization has no spec.postBuild: %s; "+
			"add spec.postBuild.substitute (or substituteFrom) with their values, or write a literal ${VAR} as $${VAR}",
			listProblems(unsubstituted))
	}
	return out, nil
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

// takeOrigin removes the origin annotation from obj, unless keep, and
// returns the file it names, relative to the root.
func takeOrigin(obj *unstructured.Unstructured, dir string, keep bool) string {
	a := obj.GetAnnotations()
	raw, ok := a[originAnnotation]
	if !ok {
		return ""
	}
	if !keep {
		delete(a, originAnnotation)
		if len(a) == 0 {
			a = nil
		}
		obj.SetAnnotations(a)
	}
	var o struct {
		Path         string `json:"path"`
		ConfiguredIn string `json:"configuredIn"`
		Repo         string `json:"repo"`
	}
	if err := sigsyaml.Unmarshal([]byte(raw), &o); err != nil || o.Repo != "" {
		return ""
	}
	p := cmp.Or(o.Path, o.ConfiguredIn)
	if p == "" {
		return ""
	}
	return filepath.ToSlash(filepath.Clean(filepath.Join(dir, filepath.FromSlash(p))))
}

// setMetadata sets the common labels and annotations on obj.
func setMetadata(obj *unstructured.Unstructured, cm *kustomizev1.CommonMetadata) {
	if len(cm.Labels) > 0 {
		labels := obj.GetLabels()
		if labels == nil {
			labels = map[string]string{}
		}
		maps.Copy(labels, cm.Labels)
		obj.SetLabels(labels)
	}
	if len(cm.Annotations) > 0 {
		annotations := obj.GetAnnotations()
		if annotations == nil {
			annotations = map[string]string{}
		}
		maps.Copy(annotations, cm.Annotations)
		obj.SetAnnotations(annotations)
	}
}

// objectID names obj as Kind/namespace/name, or Kind/name without a namespace.
func objectID(obj *unstructured.Unstructured) string {
	if ns := obj.GetNamespace(); ns != "" {
		return obj.GetKind() + "/" + ns + "/" + obj.GetName()
	}
	return obj.GetKind() + "/" + obj.GetName()
}
