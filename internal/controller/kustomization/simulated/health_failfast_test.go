package simulated_test

import (
	"strings"
	"testing"

	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ferrycd/ferry/internal/testenv"
)

// TestWaitFailsFast applies a Deployment that cannot be scheduled and whose
// progress deadline is one second: kstatus reports it Failed, and the health
// check must fail at once, naming it, instead of waiting out the one-hour
// timeout (the test's deadline is far shorter).
func TestWaitFailsFast(t *testing.T) {
	f := newFixture(t, map[string]string{
		"app/kustomization.yaml": kustomizationYAML("stuck.yaml", "settings.yaml"),
		"app/stuck.yaml":         deployment("stuck", "  progressDeadlineSeconds: 1\n", unschedulable),
		"app/settings.yaml":      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n",
	})
	f.source()
	f.ks(f.NS, "app", "app", "  wait: true\n  timeout: 1h\n")
	ks := f.WaitFor("failed with HealthCheckFailed", testenv.KustomizationFailed("HealthCheckFailed", f.Head()))

	msg := testenv.ReadyCondition(ks).Message
	if !strings.Contains(msg, "Deployment/"+f.NS+"/stuck") || !strings.Contains(msg, "Failed") {
		t.Errorf("Ready message %q does not name Deployment/%s/stuck as Failed", msg, f.NS)
	}
	if strings.Contains(msg, "ConfigMap") {
		t.Errorf("Ready message %q names a ready object", msg)
	}
	healthy := apimeta.FindStatusCondition(ks.Status.Conditions, "Healthy")
	if healthy == nil || healthy.Status != metav1.ConditionFalse || healthy.Reason != "HealthCheckFailed" {
		t.Errorf("Healthy condition = %+v, want False/HealthCheckFailed", healthy)
	}
	if ks.Status.LastAppliedRevision == f.Head() {
		t.Errorf("lastAppliedRevision is the unhealthy revision %s", f.Head())
	}
	if f.Get("v1", "ConfigMap", "settings") == nil {
		t.Error("the objects were not applied before the health check")
	}
}
