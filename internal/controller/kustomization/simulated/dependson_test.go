package simulated_test

import (
	"strings"
	"testing"
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
	other := newNamespace(t)
	f.source()
	f.ks(f.ns, "app", "app", "  dependsOn:\n    - name: infra\n    - name: shared\n      namespace: "+other+"\n")
	ks := f.waitFor("waiting for its dependencies", failed("DependencyNotReady", ""))
	if msg := readyCondition(ks).Message; !strings.Contains(msg, f.ns+"/infra") {
		t.Errorf("Ready message %q does not name the dependency %s/infra", msg, f.ns)
	}
	if f.get("v1", "ConfigMap", "settings") != nil {
		t.Fatal("the dependent was applied before its dependencies")
	}

	// The first dependency waits for its Deployment to become Available.
	f.ks(f.ns, "infra", "infra", "  wait: true\n  timeout: 5m\n")
	f.waitForKS(f.ns, "infra", "ready", ready(f.head()))
	ks = f.waitFor("waiting for the other dependency", func(ks *kustomizev1Kustomization) bool {
		return strings.Contains(readyCondition(ks).Message, other+"/shared")
	})
	if readyCondition(ks).Reason != "DependencyNotReady" || f.get("v1", "ConfigMap", "settings") != nil {
		t.Fatalf("the dependent went ahead with a dependency missing: %s", dump(ks.Status))
	}

	// The second, in another namespace, builds the same source.
	f.ks(other, "shared", "app", "")
	f.waitForKS(other, "shared", "ready", ready(f.head()))
	f.waitFor("ready once its dependencies are", ready(f.head()))
	if f.get("v1", "ConfigMap", "settings") == nil {
		t.Error("ConfigMap settings was not applied")
	}
}
