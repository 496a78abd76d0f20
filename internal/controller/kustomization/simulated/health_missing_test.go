package simulated_test

import (
	"strings"
	"testing"

	"github.com/ferrycd/ferry/internal/testenv"
)

// TestHealthCheckMissingObject lists in spec.healthChecks an object the
// build never creates: the health check times out and the message names it.
func TestHealthCheckMissingObject(t *testing.T) {
	f := newFixture(t, map[string]string{
		"app/kustomization.yaml": kustomizationYAML("settings.yaml"),
		"app/settings.yaml":      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n",
	})
	f.source()
	f.ks(f.NS, "app", "app", "  timeout: 15s\n  healthChecks:\n    - apiVersion: v1\n      kind: ConfigMap\n      name: settings\n      namespace: "+f.NS+
		"\n    - apiVersion: apps/v1\n      kind: Deployment\n      name: never-created\n      namespace: "+f.NS+"\n")
	ks := f.WaitFor("failed with HealthCheckFailed", testenv.KustomizationFailed("HealthCheckFailed", f.Head()))

	msg := testenv.ReadyCondition(ks).Message
	if !strings.Contains(msg, "timeout") || !strings.Contains(msg, "Deployment/"+f.NS+"/never-created") || !strings.Contains(msg, "NotFound") {
		t.Errorf("Ready message %q does not say the health check timed out on the missing Deployment/%s/never-created", msg, f.NS)
	}
	if strings.Contains(msg, "ConfigMap/") {
		t.Errorf("Ready message %q names the ready ConfigMap", msg)
	}
}
