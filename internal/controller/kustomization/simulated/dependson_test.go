package simulated_test

import (
	"strings"
	"testing"

	"github.com/ferrycd/ferry/internal/testenv"
)

// TestDependsOn creates a Kustomization that depends on one in its own
// namespace and one in another namespace, before either exists. It waits
// with DependencyNotReady naming the missing dependency; it must start as
// soon as both become Ready, although the suite retries dependencies only
// every hour: the dependencies' readiness enqueues it.
func TestDependsOn(t *testing.T) {
	f := newFixture(t, map[string]string{
		"infra/kustomization.yaml": kustomizationYAML("db.yaml"),
		"infra/db.yaml":            deployment("db", "", ""),
		"app/kustomization.yaml":   kustomizationYAML("settings.yaml"),
		"app/settings.yaml":        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n",
	})
	other := env.NewNamespace(t, "ks")
	f.source()
	f.ks(f.NS, "app", "app", "  dependsOn:\n    - name: infra\n    - name: shared\n      namespace: "+other+"\n")
	ks := f.WaitFor("waiting for its dependencies", testenv.KustomizationFailed("DependencyNotReady", ""))
	if msg := testenv.ReadyCondition(ks).Message; !strings.Contains(msg, f.NS+"/infra") {
		t.Errorf("Ready message %q does not name the dependency %s/infra", msg, f.NS)
	}
	if f.Get("v1", "ConfigMap", "settings") != nil {
		t.Fatal("the dependent was applied before its dependencies")
	}

	// The first dependency waits for its Deployment to become Available.
	f.ks(f.NS, "infra", "infra", "  wait: true\n  timeout: 5m\n")
	f.WaitForKS(f.NS, "infra", "ready", testenv.KustomizationReady(f.Head()))
	ks = f.WaitFor("waiting for the other dependency", func(ks *kustomizev1Kustomization) bool {
		return strings.Contains(testenv.ReadyCondition(ks).Message, other+"/shared")
	})
	if testenv.ReadyCondition(ks).Reason != "DependencyNotReady" || f.Get("v1", "ConfigMap", "settings") != nil {
		t.Fatalf("the dependent went ahead with a dependency missing: %s", testenv.Dump(ks.Status))
	}

	// The second, in another namespace, builds the same source.
	f.ks(other, "shared", "app", "")
	f.WaitForKS(other, "shared", "ready", testenv.KustomizationReady(f.Head()))
	f.WaitFor("ready once its dependencies are", testenv.KustomizationReady(f.Head()))
	if f.Get("v1", "ConfigMap", "settings") == nil {
		t.Error("ConfigMap settings was not applied")
	}
}
