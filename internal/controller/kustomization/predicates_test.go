package kustomization

import (
	"strings"
	"testing"

	"github.com/fluxcd/pkg/ssa"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/event"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/status"
)

func TestReconcileRequestedPredicate(t *testing.T) {
	withAnnotation := func(v string) *kustomizev1.Kustomization {
		k := &kustomizev1.Kustomization{}
		if v != "" {
			k.Annotations = map[string]string{meta.ReconcileRequestAnnotation: v}
		}
		return k
	}
	tests := map[string]struct {
		old, new string
		want     bool
	}{
		"first request":   {"", "t1", true},
		"new request":     {"t1", "t2", true},
		"same request":    {"t1", "t1", false},
		"removed":         {"t1", "", false},
		"never requested": {"", "", false},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got := reconcileRequestedPredicate{}.Update(event.UpdateEvent{ObjectOld: withAnnotation(tt.old), ObjectNew: withAnnotation(tt.new)})
			if got != tt.want {
				t.Errorf("Update = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSourceRevisionChangePredicate(t *testing.T) {
	repo := func(rev string) *sourcev1.GitRepository {
		g := &sourcev1.GitRepository{}
		if rev != "" {
			g.Status.Artifact = &meta.Artifact{Revision: rev}
		}
		return g
	}
	tests := map[string]struct {
		old, new string
		want     bool
	}{
		"first artifact":    {"", "main@sha1:a", true},
		"new revision":      {"main@sha1:a", "main@sha1:b", true},
		"same revision":     {"main@sha1:a", "main@sha1:a", false},
		"artifact removed":  {"main@sha1:a", "", false},
		"still no artifact": {"", "", false},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got := sourceRevisionChangePredicate{}.Update(event.UpdateEvent{ObjectOld: repo(tt.old), ObjectNew: repo(tt.new)})
			if got != tt.want {
				t.Errorf("Update = %v, want %v", got, tt.want)
			}
		})
	}
	if (sourceRevisionChangePredicate{}).Create(event.CreateEvent{Object: repo("main@sha1:a")}) {
		t.Error("Create passed")
	}
}

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

func TestFinishStatus(t *testing.T) {
	tests := map[string]struct {
		setup           func(*kustomizev1.Kustomization)
		wantReconciling string // reason, "" for absent
		wantObserved    int64
	}{
		"ready": {
			setup: func(k *kustomizev1.Kustomization) {
				status.MarkReconciling(k, meta.ProgressingReason, "building")
				status.MarkReady(k, meta.ReconciliationSucceededReason, "Applied revision: x")
			},
			wantObserved: 3,
		},
		"failed": {
			setup: func(k *kustomizev1.Kustomization) {
				status.MarkReconciling(k, meta.ProgressingReason, "building")
				status.MarkFalse(k, meta.ReadyCondition, meta.BuildFailedReason, "bad")
			},
			wantReconciling: meta.ProgressingWithRetryReason,
		},
		"stalled": {
			setup: func(k *kustomizev1.Kustomization) {
				status.MarkFalse(k, meta.ReadyCondition, meta.InvalidPathReason, "bad path")
				status.MarkStalled(k, meta.InvalidPathReason, "bad path")
			},
			wantObserved: 3,
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			k := &kustomizev1.Kustomization{ObjectMeta: metav1.ObjectMeta{Generation: 3,
				Annotations: map[string]string{meta.ReconcileRequestAnnotation: "now"}}}
			tt.setup(k)
			finishStatus(k)
			var reason string
			if c := status.Get(k, meta.ReconcilingCondition); c != nil {
				reason = c.Reason
			}
			if reason != tt.wantReconciling {
				t.Errorf("Reconciling reason = %q, want %q", reason, tt.wantReconciling)
			}
			if k.Status.ObservedGeneration != tt.wantObserved {
				t.Errorf("observedGeneration = %d, want %d", k.Status.ObservedGeneration, tt.wantObserved)
			}
			if k.Status.LastHandledReconcileAt != "now" {
				t.Errorf("lastHandledReconcileAt = %q, want now", k.Status.LastHandledReconcileAt)
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
