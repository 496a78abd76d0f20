package build

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
)

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

// objectID names obj as Kind/namespace/name, or Kind/name without a namespace.
func objectID(obj *unstructured.Unstructured) string {
	if ns := obj.GetNamespace(); ns != "" {
		return obj.GetKind() + "/" + ns + "/" + obj.GetName()
	}
	return obj.GetKind() + "/" + obj.GetName()
}
