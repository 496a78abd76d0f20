package gitrepository

import (
	"slices"

	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
)

// checkoutChanged reports whether spec.sparseCheckout or
// spec.recurseSubmodules differ from what the stored artifact was built
// with, which needs a new clone even when the remote head is unchanged.
func checkoutChanged(obj *sourcev1.GitRepository) bool {
	return obj.Status.ObservedRecurseSubmodules != obj.Spec.RecurseSubmodules ||
		!slices.Equal(obj.Status.ObservedSparseCheckout, obj.Spec.SparseCheckout)
}

// recordCheckout records in the status how the stored artifact was checked
// out, as Flux does.
func recordCheckout(obj *sourcev1.GitRepository) {
	obj.Status.ObservedRecurseSubmodules = obj.Spec.RecurseSubmodules
	obj.Status.ObservedSparseCheckout = slices.Clone(obj.Spec.SparseCheckout)
}
