package simulated_test

import (
	"testing"

	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ferrycd/ferry/internal/testenv"
)

// TestWaitReady applies a Deployment with wait: true and checks that the
// Kustomization becomes Ready and Healthy only once the Deployment is
// Available.
func TestWaitReady(t *testing.T) {
	f := newFixture(t, map[string]string{
		"app/kustomization.yaml": kustomizationYAML("web.yaml", "settings.yaml"),
		"app/web.yaml":           deployment("web", "", ""),
		"app/settings.yaml":      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  a: b\n",
	})
	f.source()
	f.ks(f.NS, "app", "app", "  wait: true\n  timeout: 5m\n")
	ks := f.WaitFor("ready", testenv.KustomizationReady(f.Head()))

	healthy := apimeta.FindStatusCondition(ks.Status.Conditions, "Healthy")
	if healthy == nil || healthy.Status != metav1.ConditionTrue || healthy.Reason != "Succeeded" {
		t.Errorf("Healthy condition = %+v, want True/Succeeded", healthy)
	}
	d := f.Get("apps/v1", "Deployment", "web")
	if got := testenv.Nested(d, "status", "availableReplicas"); got != "1" {
		t.Errorf("the Kustomization was Ready while Deployment web had %s available replicas, want 1", got)
	}
}

// TestHealthChecksReady checks that spec.healthChecks waits for the listed
// objects only, and reports Healthy; without wait or healthChecks there is no
// Healthy condition.
func TestHealthChecksReady(t *testing.T) {
	f := newFixture(t, map[string]string{
		"app/kustomization.yaml":   kustomizationYAML("web.yaml"),
		"app/web.yaml":             deployment("web", "", ""),
		"plain/kustomization.yaml": kustomizationYAML("settings.yaml"),
		"plain/settings.yaml":      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n",
	})
	f.source()
	f.ks(f.NS, "app", "app", "  timeout: 5m\n  healthChecks:\n    - apiVersion: apps/v1\n      kind: Deployment\n      name: web\n      namespace: "+f.NS+"\n")
	f.ks(f.NS, "plain", "plain", "")
	ks := f.WaitFor("ready", testenv.KustomizationReady(f.Head()))
	if c := apimeta.FindStatusCondition(ks.Status.Conditions, "Healthy"); c == nil || c.Status != metav1.ConditionTrue {
		t.Errorf("Healthy condition = %+v, want True", c)
	}
	if got := testenv.Nested(f.Get("apps/v1", "Deployment", "web"), "status", "availableReplicas"); got != "1" {
		t.Errorf("the Kustomization was Ready while Deployment web had %s available replicas, want 1", got)
	}
	plain := f.WaitForKS(f.NS, "plain", "ready", testenv.KustomizationReady(f.Head()))
	if c := apimeta.FindStatusCondition(plain.Status.Conditions, "Healthy"); c != nil {
		t.Errorf("a Kustomization without wait or healthChecks has a Healthy condition: %+v", c)
	}
}
