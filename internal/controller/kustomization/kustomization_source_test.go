package kustomization_test

import (
	"testing"

	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/testenv"
)

// TestSourceRevisionTriggers checks that a new artifact of the GitRepository
// reconciles the Kustomization at once: its interval and retryInterval are
// an hour and nothing asks it to reconcile, so only the watch on the source
// can bring it to the new revision within the wait.
func TestSourceRevisionTriggers(t *testing.T) {
	f := newFixture(t, appFiles())
	f.sync("apps/production", true)
	f.WaitFor("ready", testenv.KustomizationReady(f.Head()))

	overlay := appFiles()["apps/production/kustomization.yaml"]
	rev := f.Commit("scale up", map[string]string{"apps/production/kustomization.yaml": replace(overlay, "value: 3", "value: 5")})
	f.RequestReconcile(&sourcev1.GitRepository{}, "app")
	f.WaitFor("ready at the new revision", testenv.KustomizationReady(rev))
	if r := testenv.Nested(f.Get("apps/v1", "Deployment", "web"), "spec", "replicas"); r != "5" {
		t.Errorf("replicas = %s, want 5", r)
	}
}
