package kustomization

import (
	"strings"
	"testing"

	"github.com/fluxcd/pkg/ssa"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
)

func TestIndexBySource(t *testing.T) {
	ks := func(kind, ns string) *kustomizev1.Kustomization {
		k := &kustomizev1.Kustomization{ObjectMeta: metav1.ObjectMeta{Namespace: "apps", Name: "k"}}
		k.Spec.SourceRef = kustomizev1.CrossNamespaceSourceReference{Kind: kind, Name: "repo", Namespace: ns}
		return k
	}
	tests := map[string]struct {
		obj  *kustomizev1.Kustomization
		want []string
	}{
		"same namespace":  {ks("GitRepository", ""), []string{"apps/repo"}},
		"cross namespace": {ks("GitRepository", "flux-system"), []string{"flux-system/repo"}},
		"other kind":      {ks("OCIRepository", ""), nil},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got := indexBySource(sourcev1.GitRepositoryKind)(tt.obj)
			if len(got) != len(tt.want) || len(got) == 1 && got[0] != tt.want[0] {
				t.Errorf("index = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestChangeSetMessage(t *testing.T) {
	cs := ssa.NewChangeSet()
	for subject, action := range map[string]ssa.Action{
		"Deployment/apps/web": ssa.ConfiguredAction, "ConfigMap/apps/a": ssa.CreatedAction,
		"Service/apps/web": ssa.UnchangedAction, "ConfigMap/apps/old": ssa.DeletedAction, "ConfigMap/apps/kept": ssa.SkippedAction,
	} {
		cs.Add(ssa.ChangeSetEntry{Subject: subject, Action: action})
	}
	applied := changeSetMessage(cs, false)
	for _, want := range []string{"Deployment/apps/web configured", "ConfigMap/apps/a created"} {
		if !contains(applied, want) {
			t.Errorf("apply message %q lacks %q", applied, want)
		}
	}
	if contains(applied, "unchanged") || contains(applied, "deleted") {
		t.Errorf("apply message %q lists entries that changed nothing", applied)
	}
	if got := changeSetMessage(cs, true); got != "ConfigMap/apps/old deleted" {
		t.Errorf("prune message = %q, want only the deletion", got)
	}
	if changeSetMessage(nil, false) != "" {
		t.Error("nil change set gave a message")
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
