package cli

import (
	"slices"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"

	"github.com/ferrycd/ferry/internal/scheme"
)

// TestKinds checks that every kind's entry is complete, so a new kind's
// mistakes show here rather than as a panic in one verb.
func TestKinds(t *testing.T) {
	s := scheme.New()
	for _, k := range kinds {
		t.Run(k.gvk.Kind, func(t *testing.T) {
			if gvk, err := apiutil.GVKForObject(k.newObject(), s); err != nil || gvk != k.gvk {
				t.Errorf("newObject is %v (%v), want %v", gvk, err, k.gvk)
			}
			if gvk, err := apiutil.GVKForObject(k.newList(), s); err != nil || gvk != k.gvk.GroupVersion().WithKind(k.gvk.Kind+"List") {
				t.Errorf("newList is %v (%v), want %sList", gvk, err, k.gvk.Kind)
			}
			if k.plural == "" || k.command == "" || k.lastHandled == nil {
				t.Error("plural, command and lastHandled must be set")
			}
			if (k.revision == nil) != (k.done == "") {
				t.Error("revision and done go together: set both, or neither for a kind without revisions")
			}
			revisionColumn := k.columns == nil || slices.ContainsFunc(k.columns, func(col string) bool { return slices.Contains(revisionColumns, col) })
			if (k.revision == nil) == revisionColumn {
				t.Errorf("columns %v: a kind has a REVISION column (or an image kind's) when, and only when, it has revisions", k.columns)
			}
			for _, col := range k.columns {
				if !slices.Contains(defaultColumns, col) && !slices.Contains(revisionColumns, col) {
					t.Errorf("unknown column %q", col)
				}
			}
			for verb, h := range map[string]help{"get": k.help.get, "export": k.help.export, "suspend": k.help.suspend, "resume": k.help.resume, "reconcile": k.help.reconcile} {
				// A kind without spec.suspend (an ImagePolicy) has no
				// suspend and resume, nor their help.
				if !suspendable(k) && (verb == "suspend" || verb == "resume") {
					if h != (help{}) {
						t.Errorf("%s help for a kind without setSuspend, which has no %s command", verb, verb)
					}
					continue
				}
				if h.short == "" || h.example == "" {
					t.Errorf("no %s help", verb)
				}
			}
			if !suspendable(k) {
				if k.newObject().IsSuspended() {
					t.Error("a kind without setSuspend has an object that says it is suspended")
				}
				return
			}
			obj := k.newObject()
			k.setSuspend(obj, true)
			if !obj.IsSuspended() {
				t.Error("setSuspend(true) does not suspend")
			}
		})
	}
}
