package build

import (
	"cmp"
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
)

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

// VarNamePattern is the pattern variable names must match, as in Flux.
const VarNamePattern = `^[_[:alpha:]][_[:alpha:][:digit:]]*$`

var varName = regexp.MustCompile(VarNamePattern)

// ValidVarName reports whether name may be used as a postBuild variable.
func ValidVarName(name string) bool { return varName.MatchString(name) }

// LoadSubstitution reads the variables of a Kustomization's spec.postBuild,
// as kustomize-controller does: the ConfigMaps and Secrets of substituteFrom
// (in the Kustomization's namespace) in order, later entries overriding
// earlier ones, then substitute over them. A missing object fails unless its
// reference is optional. It returns nil when the Kustomization has no
// postBuild. Values read from Secrets are marked sensitive; no error shows a
// value.
func LoadSubstitution(ctx context.Context, c client.Reader, ks *kustomizev1.Kustomization) (*Substitution, error) {
	pb := ks.Spec.PostBuild
	if pb == nil {
		return nil, nil
	}
	s := &Substitution{Vars: map[string]string{}}
	for i, ref := range pb.SubstituteFrom {
		key := client.ObjectKey{Namespace: ks.Namespace, Name: ref.Name}
		where := fmt.Sprintf("spec.postBuild.substituteFrom[%d]: %s %s/%s", i, ref.Kind, key.Namespace, key.Name)
		var data map[string]string
		switch ref.Kind {
		case "ConfigMap":
			cm := &corev1.ConfigMap{}
			if err := c.Get(ctx, key, cm); err != nil {
				if apierrors.IsNotFound(err) && ref.Optional {
					continue
				}
				return nil, refError(where, err)
			}
			data = cm.Data
		case "Secret":
			secret := &corev1.Secret{}
			if err := c.Get(ctx, key, secret); err != nil {
				if apierrors.IsNotFound(err) && ref.Optional {
					continue
				}
				return nil, refError(where, err)
			}
			data = make(map[string]string, len(secret.Data))
			for k, v := range secret.Data {
				data[k] = string(v)
				s.Sensitive = append(s.Sensitive, strings.ReplaceAll(string(v), "\n", ""))
			}
		default:
			return nil, fmt.Errorf("%s: kind must be ConfigMap or Secret", where)
		}
		for k, v := range data {
			if !ValidVarName(k) {
				return nil, fmt.Errorf("%w: %s: key %q is not a valid variable name: it must match %s",
					ErrSubstitution, where, k, VarNamePattern)
			}
			s.Vars[k] = strings.ReplaceAll(v, "\n", "")
		}
	}
	for k, v := range pb.Substitute {
		if !ValidVarName(k) {
			return nil, fmt.Errorf("%w: spec.postBuild.substitute: %q is not a valid variable name: it must match %s",
				ErrSubstitution, k, VarNamePattern)
		}
		s.Vars[k] = strings.ReplaceAll(v, "\n", "")
	}
	return s, nil
}

func refError(where string, err error) error {
	if apierrors.IsNotFound(err) {
		return fmt.Errorf("%s not found; create it, or mark the reference optional: true", where)
	}
	return fmt.Errorf("%s: %w", where, err)
}
