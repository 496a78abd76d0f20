package simulated_test

import (
	"context"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferrycd/ferry/internal/testenv"
)

// widgetCRD is a custom resource definition whose objects report a phase,
// which kstatus alone cannot interpret.
const widgetCRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.test.ferry.dev
spec:
  group: test.ferry.dev
  names:
    kind: Widget
    listKind: WidgetList
    plural: widgets
    singular: widget
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          x-kubernetes-preserve-unknown-fields: true
`

// widgetExprs are healthCheckExprs for Widgets.
const widgetExprs = `  healthCheckExprs:
    - apiVersion: test.ferry.dev/v1
      kind: Widget
      current: status.?phase.orValue('') == 'Ready'
      failed: status.?phase.orValue('') == 'Broken'
`

// TestHealthCheckExprs applies a CRD and custom resources with wait: true and
// healthCheckExprs: the Kustomization is Ready only once the expressions say
// the Widget is current, and fails fast when they say it failed.
func TestHealthCheckExprs(t *testing.T) {
	f := newFixture(t, map[string]string{
		"crd/kustomization.yaml":  kustomizationYAML("crd.yaml"),
		"crd/crd.yaml":            widgetCRD,
		"good/kustomization.yaml": kustomizationYAML("widget.yaml"),
		"good/widget.yaml":        "apiVersion: test.ferry.dev/v1\nkind: Widget\nmetadata:\n  name: good\nspec:\n  size: 1\n",
		"bad/kustomization.yaml":  kustomizationYAML("widget.yaml"),
		"bad/widget.yaml":         "apiVersion: test.ferry.dev/v1\nkind: Widget\nmetadata:\n  name: bad\nspec:\n  size: 1\n",
	})
	f.source()
	f.ks(f.NS, "crd", "crd", "")
	f.WaitForKS(f.NS, "crd", "ready", testenv.KustomizationReady(f.Head()))
	f.ks(f.NS, "app", "good", "  wait: true\n  timeout: 1h\n"+widgetExprs)
	f.ks(f.NS, "bad", "bad", "  wait: true\n  timeout: 1h\n"+widgetExprs)

	// Without a phase, the Widget is in progress.
	f.WaitFor("waiting on the Widget", func(ks *kustomizev1Kustomization) bool {
		return conditionReason(ks, "Healthy") == "Progressing"
	})
	setPhase(t, f.NS, "good", "Ready")
	f.WaitFor("ready once the Widget is", testenv.KustomizationReady(f.Head()))

	f.WaitForKS(f.NS, "bad", "waiting on the Widget", func(ks *kustomizev1Kustomization) bool {
		return conditionReason(ks, "Healthy") == "Progressing"
	})
	setPhase(t, f.NS, "bad", "Broken")
	ks := f.WaitForKS(f.NS, "bad", "failed with HealthCheckFailed", testenv.KustomizationFailed("HealthCheckFailed", f.Head()))
	if msg := testenv.ReadyCondition(ks).Message; !strings.Contains(msg, "Widget/"+f.NS+"/bad") || !strings.Contains(msg, "Failed") {
		t.Errorf("Ready message %q does not name Widget/%s/bad as Failed", msg, f.NS)
	}
}

// TestHealthCheckExprsInvalid checks that an expression that does not
// compile stalls the Kustomization with a message naming it.
func TestHealthCheckExprsInvalid(t *testing.T) {
	f := newFixture(t, map[string]string{
		"app/kustomization.yaml": kustomizationYAML("settings.yaml"),
		"app/settings.yaml":      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n",
	})
	f.source()
	f.ks(f.NS, "app", "app", "  wait: true\n  healthCheckExprs:\n    - apiVersion: v1\n      kind: ConfigMap\n      current: \"data.a ==\"\n")
	ks := f.WaitFor("stalled", func(ks *kustomizev1Kustomization) bool {
		return conditionReason(ks, "Stalled") == "HealthCheckFailed"
	})
	if msg := testenv.ReadyCondition(ks).Message; !strings.Contains(msg, "healthCheckExprs[0]") || !strings.Contains(msg, "data.a ==") {
		t.Errorf("Ready message %q does not name the invalid expression", msg)
	}
}

// setPhase sets status.phase of a Widget, as its controller would.
func setPhase(t *testing.T, ns, name, phase string) {
	t.Helper()
	w := &unstructured.Unstructured{}
	w.SetAPIVersion("test.ferry.dev/v1")
	w.SetKind("Widget")
	w.SetNamespace(ns)
	w.SetName(name)
	patch := client.RawPatch(types.MergePatchType, []byte(`{"status":{"phase":"`+phase+`"}}`))
	if err := env.Client.Patch(context.Background(), w, patch); err != nil {
		t.Fatal(err)
	}
}
