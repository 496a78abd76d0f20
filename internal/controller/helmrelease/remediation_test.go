package helmrelease_test

import (
	"context"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	helmv2 "github.com/ferrycd/ferry/api/helm/v2"
	"github.com/ferrycd/ferry/api/meta"
	"github.com/ferrycd/ferry/internal/helm/helmtest"
	"github.com/ferrycd/ferry/internal/testenv"
)

// deployChart is a chart of one Deployment; values nodeSelector that no
// node has keeps it from ever becoming Available.
var deployChart = helmtest.Chart{
	Name: "deploy", Version: "1.0.0",
	Values: "replicas: 1\nnodeSelector: {}\n",
	Templates: map[string]string{"deployment.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
  namespace: {{ .Release.Namespace }}
spec:
  replicas: {{ .Values.replicas }}
  selector:
    matchLabels:
      app: {{ .Release.Name }}
  template:
    metadata:
      labels:
        app: {{ .Release.Name }}
    spec:
      {{- with .Values.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      containers:
        - name: app
          image: registry.example/app:1
`},
}

const brokenValues = `  values:
    nodeSelector:
      ferry.test/nowhere: "true"
`

func condition(hr *helmv2.HelmRelease, t string) *metav1.Condition {
	return apimeta.FindStatusCondition(hr.Status.Conditions, t)
}

// TestUpgradeRemediatedByRollback: an upgrade whose Deployment never
// becomes Available fails its wait, is rolled back, retried once, rolled
// back again and then stalls with a message that says how to go on; new
// values start again and succeed.
func TestUpgradeRemediatedByRollback(t *testing.T) {
	ns := env.NewNamespace(t, "hr-rollback")
	publish(t, ns, "app", deployChart)
	spec := `  timeout: 8s
  upgrade:
    remediation:
      retries: 1
`
	apply(t, ns, hrDoc("app", spec))
	waitHR(t, ns, "app", "installed", readyWith(helmv2.InstallSucceededReason))

	apply(t, ns, hrDoc("app", spec+brokenValues))
	hr := waitHR(t, ns, "app", "stalled after its retries", func(hr *helmv2.HelmRelease) bool {
		s := condition(hr, meta.StalledCondition)
		return s != nil && s.Status == metav1.ConditionTrue && s.Reason == helmv2.RetriesExhaustedReason && s.ObservedGeneration == hr.Generation
	})
	ready := condition(hr, meta.ReadyCondition)
	if ready.Status != metav1.ConditionFalse || !strings.Contains(ready.Message, "--reset") || !strings.Contains(ready.Message, "upgrade retries exhausted (2/2)") {
		t.Errorf("Ready = %s: %s", ready.Status, ready.Message)
	}
	if r := condition(hr, helmv2.RemediatedCondition); r == nil || r.Status != metav1.ConditionTrue || r.Reason != helmv2.RollbackSucceededReason {
		t.Errorf("Remediated = %s", testenv.Dump(r))
	}
	if hr.Status.UpgradeFailures != 2 {
		t.Errorf("upgradeFailures = %d, want 2", hr.Status.UpgradeFailures)
	}
	var d appsv1.Deployment
	must(t, env.Client.Get(context.Background(), testenv.Key(ns, "app"), &d))
	if len(d.Spec.Template.Spec.NodeSelector) != 0 {
		t.Errorf("the Deployment was not rolled back: nodeSelector %v", d.Spec.Template.Spec.NodeSelector)
	}
	// The newest release is the rollback, the one before it the failed retry.
	if h := hr.Status.History; len(h) < 2 || h[0].Status != "deployed" || h[1].Status != "failed" {
		t.Errorf("history: %s", describeHistory(t, ns, "app"))
	}
	t.Logf("history: %s", describeHistory(t, ns, "app"))

	// New values are a new desired state: the counters start again.
	apply(t, ns, hrDoc("app", spec+"  values:\n    replicas: 2\n"))
	hr = waitHR(t, ns, "app", "upgraded", readyWith(helmv2.UpgradeSucceededReason))
	if condition(hr, helmv2.RemediatedCondition) != nil || condition(hr, meta.StalledCondition) != nil {
		t.Errorf("conditions after recovery: %s", testenv.Dump(hr.Status.Conditions))
	}
	if hr.Status.UpgradeFailures != 0 || hr.Status.Failures != 0 {
		t.Errorf("failure counters not reset: %d/%d", hr.Status.UpgradeFailures, hr.Status.Failures)
	}
}

// TestNewRevisionCancelsWait: while an upgrade waits (timeout 5m) for a
// Deployment that never becomes Available, new values arrive; the wait is
// cancelled and the new values are released without waiting out the
// timeout.
func TestNewRevisionCancelsWait(t *testing.T) {
	ns := env.NewNamespace(t, "hr-cancel")
	publish(t, ns, "app", deployChart)
	apply(t, ns, hrDoc("app", "  timeout: 5m\n"))
	waitHR(t, ns, "app", "installed", readyWith(helmv2.InstallSucceededReason))

	apply(t, ns, hrDoc("app", "  timeout: 5m\n"+brokenValues))
	waitHR(t, ns, "app", "waiting in its upgrade", func(hr *helmv2.HelmRelease) bool {
		c := condition(hr, meta.ReconcilingCondition)
		return c != nil && strings.Contains(c.Message, "Running 'upgrade'") && hr.Status.LastAttemptedReleaseAction == helmv2.ReleaseActionUpgrade
	})
	started := time.Now()
	apply(t, ns, hrDoc("app", "  timeout: 5m\n  values:\n    replicas: 2\n"))
	hr := waitHR(t, ns, "app", "upgraded with the new values", readyWith(helmv2.UpgradeSucceededReason))
	t.Logf("the new values were released %s after they were applied (the old wait had a 5m timeout)", time.Since(started).Round(time.Second))
	if hr.Status.UpgradeFailures != 0 {
		t.Errorf("the cancelled wait counted as a failure of the new values: %d", hr.Status.UpgradeFailures)
	}
	var d appsv1.Deployment
	must(t, env.Client.Get(context.Background(), testenv.Key(ns, "app"), &d))
	if *d.Spec.Replicas != 2 || len(d.Spec.Template.Spec.NodeSelector) != 0 {
		t.Errorf("Deployment: replicas %d nodeSelector %v", *d.Spec.Replicas, d.Spec.Template.Spec.NodeSelector)
	}
}

// TestInstallRetriesExhaustedAndReset: an install that cannot succeed
// stalls after its (zero) retries; resetAt starts it again, once.
func TestInstallRetriesExhaustedAndReset(t *testing.T) {
	ns := env.NewNamespace(t, "hr-reset")
	publish(t, ns, "bad", helmtest.Chart{Name: "bad", Version: "1.0.0", Templates: map[string]string{
		"nope.yaml": "apiVersion: example.ferry.dev/v1\nkind: Nope\nmetadata:\n  name: x\n",
	}})
	apply(t, ns, hrDoc("bad", ""))
	hr := waitHR(t, ns, "bad", "stalled", func(hr *helmv2.HelmRelease) bool {
		s := condition(hr, meta.StalledCondition)
		return s != nil && s.Reason == helmv2.RetriesExhaustedReason
	})
	ready := condition(hr, meta.ReadyCondition)
	if ready.Reason != helmv2.InstallFailedReason || !strings.Contains(ready.Message, "install retries exhausted (1/1)") ||
		!strings.Contains(ready.Message, "Nope") || !strings.Contains(ready.Message, "--reset") {
		t.Errorf("Ready = %s: %s", ready.Reason, ready.Message)
	}
	failed := countEvents(t, ns, "bad", helmv2.InstallFailedReason)

	// A reconcile request alone does not retry an exhausted release.
	token := testenv.RequestReconcile(t, env.Client, &helmv2.HelmRelease{}, testenv.Key(ns, "bad"))
	waitHR(t, ns, "bad", "handled "+token, func(hr *helmv2.HelmRelease) bool { return hr.Status.LastHandledReconcileAt == token })
	if n := countEvents(t, ns, "bad", helmv2.InstallFailedReason); n != failed {
		t.Errorf("a plain reconcile request retried the exhausted install (%d → %d events)", failed, n)
	}

	// resetAt (with requestedAt, as `ferry reconcile --reset` sets them) retries.
	hr = waitHR(t, ns, "bad", "fetched", func(*helmv2.HelmRelease) bool { return true })
	reset := time.Now().Format(time.RFC3339Nano)
	hr.Annotations = map[string]string{meta.ReconcileRequestAnnotation: reset, meta.ResetRequestAnnotation: reset}
	must(t, env.Client.Update(context.Background(), hr))
	waitHR(t, ns, "bad", "reset", func(hr *helmv2.HelmRelease) bool {
		return hr.Status.LastHandledResetAt == reset && hr.Status.LastHandledReconcileAt == reset
	})
	testenv.Eventually(t, "a second install attempt", func() (bool, string) {
		n := countEvents(t, ns, "bad", helmv2.InstallFailedReason)
		return n > failed, "events: " + string(rune('0'+n))
	})
}

func countEvents(t *testing.T, ns, name, reason string) int {
	t.Helper()
	n := 0
	for _, e := range testenv.Events(t, env.Client, helmv2.HelmReleaseKind, ns, name) {
		if e.Reason == reason {
			n += int(max(e.Count, 1))
		}
	}
	return n
}
