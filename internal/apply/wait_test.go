package apply

import (
	"testing"

	"github.com/fluxcd/cli-utils/pkg/object"
	"github.com/fluxcd/pkg/ssa"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

func mustObject(t *testing.T, s string) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(s), &u.Object); err != nil {
		t.Fatal(err)
	}
	return u
}

func TestJobsWithTTL(t *testing.T) {
	objs := []*unstructured.Unstructured{
		mustObject(t, "apiVersion: batch/v1\nkind: Job\nmetadata: {name: ttl, namespace: a}\nspec: {ttlSecondsAfterFinished: 0}"),
		mustObject(t, "apiVersion: batch/v1\nkind: Job\nmetadata: {name: kept, namespace: a}\nspec: {}"),
		mustObject(t, "apiVersion: example.com/v1\nkind: Job\nmetadata: {name: other, namespace: a}\nspec: {ttlSecondsAfterFinished: 0}"),
		mustObject(t, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm, namespace: a}"),
	}
	set := JobsWithTTL(objs)
	if len(set) != 1 || set[0].Name != "ttl" || set[0].GroupKind.Group != "batch" {
		t.Errorf("JobsWithTTL = %v, want only batch Job a/ttl", set)
	}
}

func TestWaitSetSkipsSkipped(t *testing.T) {
	cs := ssa.NewChangeSet()
	for _, e := range []struct {
		name   string
		action ssa.Action
	}{{"created", ssa.CreatedAction}, {"unchanged", ssa.UnchangedAction}, {"skipped", ssa.SkippedAction}} {
		u := mustObject(t, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: "+e.name+", namespace: a}")
		cs.Add(ssa.ChangeSetEntry{ObjMetadata: object.UnstructuredToObjMetadata(u), GroupVersion: "v1", Subject: e.name, Action: e.action})
	}
	set := WaitSet(cs)
	if len(set) != 2 || set[0].Name != "created" || set[1].Name != "unchanged" {
		t.Errorf("WaitSet = %v, want created and unchanged", set)
	}
}
