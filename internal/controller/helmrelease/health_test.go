package helmrelease_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	helmv2 "github.com/ferrycd/ferry/api/helm/v2"
	"github.com/ferrycd/ferry/api/meta"
	"github.com/ferrycd/ferry/internal/helm/helmtest"
	"github.com/ferrycd/ferry/internal/testenv"
)

// TestHealthCheckExprs: a custom resource of the release is judged by
// spec.healthCheckExprs: the install waits until the expression says
// Current, and fails when it says Failed.
func TestHealthCheckExprs(t *testing.T) {
	ns := env.NewNamespace(t, "hr-health")
	ctx := context.Background()
	group := ns
	chart := helmtest.Chart{Name: "widgets", Version: "1.0.0",
		Files:     map[string]string{"crds/widget.yaml": fmt.Sprintf(widgetCRD, group, group, "")},
		Templates: map[string]string{"widget.yaml": fmt.Sprintf("apiVersion: %s.ferry.dev/v1\nkind: Widget\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n  size: large\n", group)},
	}
	publish(t, ns, "ok", chart)
	exprs := fmt.Sprintf(`  timeout: 2m
  healthCheckExprs:
    - apiVersion: %s.ferry.dev/v1
      kind: Widget
      current: "status.?phase.orValue('') == 'Ready'"
      failed: "status.?phase.orValue('') == 'Failed'"
`, group)
	apply(t, ns, hrDoc("ok", exprs))
	waitHR(t, ns, "ok", "waiting for the Widget", func(hr *helmv2.HelmRelease) bool {
		c := condition(hr, meta.ReconcilingCondition)
		return c != nil && strings.Contains(c.Message, "Running 'install'")
	})
	setPhase := func(name, phase string) {
		testenv.Eventually(t, "the Widget's phase set to "+phase, func() (bool, string) {
			w := &unstructured.Unstructured{}
			w.SetAPIVersion(group + ".ferry.dev/v1")
			w.SetKind("Widget")
			if err := env.Client.Get(ctx, testenv.Key(ns, name), w); err != nil {
				return false, err.Error()
			}
			if err := unstructured.SetNestedField(w.Object, phase, "status", "phase"); err != nil {
				return false, err.Error()
			}
			if err := env.Client.Update(ctx, w); err != nil {
				return false, err.Error()
			}
			return true, ""
		})
	}
	setPhase("ok", "Ready")
	waitHR(t, ns, "ok", "installed once the Widget is Ready", readyWith(helmv2.InstallSucceededReason))

	// Failed: the install fails without waiting out the timeout.
	publish(t, ns, "bad", chart)
	apply(t, ns, hrDoc("bad", exprs))
	waitHR(t, ns, "bad", "waiting for the Widget", func(hr *helmv2.HelmRelease) bool {
		c := condition(hr, meta.ReconcilingCondition)
		return c != nil && strings.Contains(c.Message, "Running 'install'")
	})
	setPhase("bad", "Failed")
	hr := waitHR(t, ns, "bad", "failed its health check", failedWith(helmv2.InstallFailedReason))
	if !strings.Contains(readyMessage(hr), "health check failed") {
		t.Errorf("Ready: %s", readyMessage(hr))
	}
}
