package kustomization_test

import (
	"testing"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/internal/apply"
	"github.com/ferrycd/ferry/internal/testenv"
)

// TestNoChangeReconcileWritesNothing reconciles a Kustomization again with
// no new commit and no drift: unchanged objects cost a dry-run, not a write,
// so no applied object's resourceVersion may change.
func TestNoChangeReconcileWritesNothing(t *testing.T) {
	f := newFixture(t, appFiles())
	f.sync("apps/production", true)
	ks := f.WaitFor("ready", testenv.KustomizationReady(f.Head()))

	objs, err := apply.Objects(ks.Status.Inventory)
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) == 0 {
		t.Fatal("empty inventory")
	}
	before := map[string]string{}
	for _, o := range objs {
		live := f.Get(o.GetAPIVersion(), o.GetKind(), o.GetName())
		if live == nil {
			t.Fatalf("%s %s not found", o.GetKind(), o.GetName())
		}
		before[o.GetKind()+"/"+o.GetName()] = live.GetResourceVersion()
	}

	token := f.RequestReconcile(&kustomizev1.Kustomization{}, "app")
	f.WaitFor("reconciled on request", func(ks *kustomizev1.Kustomization) bool {
		return ks.Status.LastHandledReconcileAt == token && testenv.KustomizationReady(f.Head())(ks)
	})
	for _, o := range objs {
		live := f.Get(o.GetAPIVersion(), o.GetKind(), o.GetName())
		key := o.GetKind() + "/" + o.GetName()
		if live.GetResourceVersion() != before[key] {
			t.Errorf("%s was written by a reconciliation with nothing to change: resourceVersion %s -> %s",
				key, before[key], live.GetResourceVersion())
		}
	}
}
