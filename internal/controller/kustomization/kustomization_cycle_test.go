package kustomization_test

import (
	"strings"
	"testing"

	"github.com/ferrycd/ferry/internal/testenv"
)

// TestKustomizationCycle checks that kustomizations including each other
// fail the build at once with the cycle named, instead of looping.
func TestKustomizationCycle(t *testing.T) {
	f := newFixture(t, map[string]string{
		"clusters/prod/kustomization.yaml": "resources:\n  - ../../apps\n",
		"apps/kustomization.yaml":          "resources:\n  - configmap.yaml\n  - ../clusters/prod\n",
		"apps/configmap.yaml":              "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n",
	})
	f.syncSpec("clusters/prod", "")
	ks := f.WaitFor("failed", testenv.KustomizationFailed("BuildFailed", f.Head()))
	msg := testenv.ReadyCondition(ks).Message
	if want := "the kustomizations form a cycle: clusters/prod -> apps -> clusters/prod"; !strings.Contains(msg, want) {
		t.Errorf("Ready message %q does not contain %q", msg, want)
	}
	if f.Get("v1", "ConfigMap", "settings") != nil {
		t.Error("objects were applied although the build failed")
	}
}
