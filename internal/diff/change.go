package diff

import (
	"fmt"
	"io"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Action is what an apply would do to one object.
type Action string

// The actions of a Change; the words are those `ferry diff` prints.
const (
	// Created is an object the cluster does not have yet.
	Created Action = "created"
	// Drifted is an object the apply would change.
	Drifted Action = "drifted"
	// Deleted is an inventory object the build no longer has, which the
	// controller would prune (spec.prune).
	Deleted Action = "deleted"
)

// Change is one object an apply would change.
type Change struct {
	// ID names the object as Flux's CLI does: Kind/namespace/name, or
	// Kind/name when it is cluster-scoped.
	ID     string
	Action Action
	// Diff is, for a drifted object, the unified diff of the cluster's
	// object and the dry-run result (Secret values masked), or for a
	// SOPS-encrypted Secret the data keys on each side; empty otherwise.
	Diff string
}

// Changed reports whether changes holds any.
func Changed(changes []Change) bool { return len(changes) > 0 }

// Write prints changes as `ferry diff` does: "► <ID> <action>" for each, a
// drifted object's diff on the lines after it.
func Write(w io.Writer, changes []Change) error {
	for _, c := range changes {
		if _, err := fmt.Fprintf(w, "► %s %s\n", c.ID, c.Action); err != nil {
			return err
		}
		if c.Action == Drifted {
			if _, err := fmt.Fprintln(w, c.Diff); err != nil {
				return err
			}
		}
	}
	return nil
}

// Ref names an object as Flux's CLI does: Kind/namespace/name, or
// Kind/name when it is cluster-scoped.
func Ref(obj *unstructured.Unstructured) string {
	if obj.GetNamespace() == "" {
		return obj.GetKind() + "/" + obj.GetName()
	}
	return obj.GetKind() + "/" + obj.GetNamespace() + "/" + obj.GetName()
}
