package kustomization_test

import (
	"testing"

	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
)

// TestSourceRevisionTriggers checks that a new artifact of the GitRepository
// reconciles the Kustomization at once: its interval is an hour, and nothing
// asks it to reconcile.
func TestSourceRevisionTriggers(t *testing.T) {
	f := newFixture(t, appFiles())
	f.sync("apps/production", true)
	f.waitFor("ready", ready(f.head()))
	before := f.kustomization().Status.LastHandledReconcileAt

	overlay := appFiles()["apps/production/kustomization.yaml"]
	rev := f.commit("scale up", map[string]string{"apps/production/kustomization.yaml": replace(overlay, "value: 3", "value: 5")})
	f.requestReconcile(&sourcev1.GitRepository{}, "app")
	ks := f.waitFor("ready at the new revision", ready(rev))
	if ks.Status.LastHandledReconcileAt != before {
		t.Errorf("the Kustomization handled a reconcile request; the source alone should have triggered it")
	}
	if r := nested(f.get("apps/v1", "Deployment", "web"), "spec", "replicas"); r != "5" {
		t.Errorf("replicas = %s, want 5", r)
	}
}
