package kustomization

import (
	"fmt"
	"strings"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
)

// UnsupportedFieldReason is the Ready and Stalled reason of a Kustomization
// that uses a field ferry does not act on yet.
const UnsupportedFieldReason = "UnsupportedField"

// unsupportedFields lists the spec fields that change what is applied, where,
// or with whose rights, and that ferry does not act on yet. Ignoring one would
// apply something other than what the Kustomization declares, or fail later
// with a less clear message (a SOPS file encrypted for a cloud KMS that ferry
// cannot reach), so such a Kustomization stalls instead.
func unsupportedFields(spec *kustomizev1.KustomizationSpec) []string {
	var fields []string
	add := func(set bool, name string) {
		if set {
			fields = append(fields, "spec."+name)
		}
	}
	// ferry decrypts with age and PGP keys only (no cloud KMS to authenticate to).
	add(spec.Decryption != nil && spec.Decryption.ServiceAccountName != "", "decryption.serviceAccountName")
	return fields
}

// unsupportedMessage explains the refusal and what to do about it.
func unsupportedMessage(fields []string) string {
	verb := "is"
	if len(fields) > 1 {
		verb = "are"
	}
	return fmt.Sprintf("%s %s not supported by this version of ferry yet, and applying without it would not match what the Kustomization declares: remove it, or move that part into a kustomization.yaml in the source (see docs/api.md)",
		strings.Join(fields, ", "), verb)
}
