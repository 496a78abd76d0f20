package apply

import (
	"testing"

	"github.com/fluxcd/pkg/ssa"
)

// An apply repeated because a new CRD's kind was not served yet reports
// what the first attempt did (the CRD created), not what the repeat found
// (the CRD unchanged), and adds what only the repeat reached.
func TestMergeChangeSets(t *testing.T) {
	first := ssa.NewChangeSet()
	first.Add(ssa.ChangeSetEntry{Subject: "CustomResourceDefinition/widgets.x.test", Action: ssa.CreatedAction})
	again := ssa.NewChangeSet()
	again.Add(ssa.ChangeSetEntry{Subject: "CustomResourceDefinition/widgets.x.test", Action: ssa.UnchangedAction})
	again.Add(ssa.ChangeSetEntry{Subject: "Widget/ns/w", Action: ssa.CreatedAction})

	got := mergeChangeSets(first, again).ToMap()
	want := map[string]ssa.Action{
		"CustomResourceDefinition/widgets.x.test": ssa.CreatedAction,
		"Widget/ns/w": ssa.CreatedAction,
	}
	if len(got) != len(want) {
		t.Fatalf("merged %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %s, want %s", k, got[k], v)
		}
	}
	if mergeChangeSets(nil, again) != again || mergeChangeSets(first, nil) != first {
		t.Error("a missing change set is not the other one")
	}
}
