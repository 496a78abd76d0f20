package helmrelease_test

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	helmv2 "github.com/ferrycd/ferry/api/helm/v2"
	"github.com/ferrycd/ferry/internal/helm/helmtest"
	"github.com/ferrycd/ferry/internal/testenv"
)

// TestDriftCorrected: with driftDetection enabled, a changed value and a
// deleted object are patched back without a Helm upgrade (no new release
// version); an ignored path keeps its manual value.
func TestDriftCorrected(t *testing.T) {
	ns := env.NewNamespace(t, "hr-drift")
	ctx := context.Background()
	publish(t, ns, "app", helmtest.Chart{Name: "app", Version: "1.0.0", Values: "data:\n  color: blue\n  tuned: auto\n",
		Templates: map[string]string{
			"configmap.yaml": helmtest.DefaultTemplate,
			"second.yaml":    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-second\ndata:\n  a: b\n",
		}})
	apply(t, ns, hrDoc("app", `  driftDetection:
    mode: enabled
    ignore:
      - paths: ["/data/tuned"]
        target:
          kind: ConfigMap
`))
	waitHR(t, ns, "app", "installed", readyWith(helmv2.InstallSucceededReason))

	cm, err := configMap(t, ns, "app-app")
	must(t, err)
	cm.Data["color"] = "red"
	cm.Data["tuned"] = "by-hand"
	must(t, env.Client.Update(ctx, cm))
	second, err := configMap(t, ns, "app-second")
	must(t, err)
	must(t, env.Client.Delete(ctx, second))

	token := testenv.RequestReconcile(t, env.Client, &helmv2.HelmRelease{}, testenv.Key(ns, "app"))
	hr := waitHR(t, ns, "app", "drift corrected", func(hr *helmv2.HelmRelease) bool {
		c := condition(hr, helmv2.DriftedCondition)
		return hr.Status.LastHandledReconcileAt == token && c != nil && c.Reason == helmv2.DriftCorrectedReason
	})
	msg := condition(hr, helmv2.DriftedCondition).Message
	if !strings.Contains(msg, "ConfigMap/"+ns+"/app-app changed") || !strings.Contains(msg, "ConfigMap/"+ns+"/app-second removed") {
		t.Errorf("Drifted message: %s", msg)
	}
	cm, err = configMap(t, ns, "app-app")
	must(t, err)
	if cm.Data["color"] != "blue" || cm.Data["tuned"] != "by-hand" {
		t.Errorf("after the correction: %v", cm.Data)
	}
	if _, err := configMap(t, ns, "app-second"); err != nil {
		t.Errorf("the deleted object was not recreated: %v", err)
	}
	if got := releaseSecrets(t, ns, "app"); len(got) != 1 {
		t.Errorf("drift correction made a Helm release: %v", got)
	}
	if !readyWith("")(hr) {
		t.Errorf("Ready after the correction: %s", readyMessage(hr))
	}
}

// TestDriftWarn only reports drift.
func TestDriftWarn(t *testing.T) {
	ns := env.NewNamespace(t, "hr-driftwarn")
	ctx := context.Background()
	publish(t, ns, "app", helmtest.Chart{Name: "app", Version: "1.0.0", Values: "data:\n  color: blue\n"})
	apply(t, ns, hrDoc("app", "  driftDetection:\n    mode: warn\n"))
	waitHR(t, ns, "app", "installed", readyWith(helmv2.InstallSucceededReason))
	must(t, env.Client.Delete(ctx, mustConfigMap(t, ns, "app-app")))
	token := testenv.RequestReconcile(t, env.Client, &helmv2.HelmRelease{}, testenv.Key(ns, "app"))
	waitHR(t, ns, "app", "drift detected", func(hr *helmv2.HelmRelease) bool {
		c := condition(hr, helmv2.DriftedCondition)
		return hr.Status.LastHandledReconcileAt == token && c != nil && c.Reason == helmv2.DriftDetectedReason
	})
	if _, err := configMap(t, ns, "app-app"); !apierrors.IsNotFound(err) {
		t.Errorf("warn mode corrected the drift: %v", err)
	}
}

func mustConfigMap(t *testing.T, ns, name string) *corev1.ConfigMap {
	t.Helper()
	cm, err := configMap(t, ns, name)
	must(t, err)
	return cm
}
