package helmrelease_test

import (
	"context"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"

	helmv2 "github.com/ferrycd/ferry/api/helm/v2"
	"github.com/ferrycd/ferry/api/meta"
	"github.com/ferrycd/ferry/internal/helm/helmtest"
	"github.com/ferrycd/ferry/internal/testenv"
)

// TestKubeVersionConstraint: a chart's kubeVersion is checked against the
// control plane's real version: a chart for the running version installs,
// one for an old version fails with Helm's message.
func TestKubeVersionConstraint(t *testing.T) {
	ns := env.NewNamespace(t, "hr-kubeversion")
	publish(t, ns, "modern", helmtest.Chart{Name: "modern", Version: "1.0.0", KubeVersion: ">=1.30.0-0"})
	publish(t, ns, "ancient", helmtest.Chart{Name: "ancient", Version: "1.0.0", KubeVersion: "<1.20.0"})
	apply(t, ns, hrDoc("modern", ""))
	apply(t, ns, hrDoc("ancient", ""))
	waitHR(t, ns, "modern", "installed", readyWith(helmv2.InstallSucceededReason))
	hr := waitHR(t, ns, "ancient", "refused", failedWith(helmv2.InstallFailedReason))
	if !strings.Contains(readyMessage(hr), "kubeVersion") {
		t.Errorf("Ready: %s", readyMessage(hr))
	}
}

// TestHooksForceAndChartRename: a pre-install hook Job runs; forceAt (with
// the same token as requestedAt) upgrades although nothing changed; a new
// chart name in the same HelmChart is released as an upgrade.
func TestHooksForceAndChartRename(t *testing.T) {
	ns := env.NewNamespace(t, "hr-hooks")
	ctx := context.Background()
	hook := `apiVersion: batch/v1
kind: Job
metadata:
  name: {{ .Release.Name }}-pre
  annotations:
    helm.sh/hook: pre-install,pre-upgrade
    helm.sh/hook-delete-policy: before-hook-creation
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: pre
          image: registry.example/pre:1
`
	publish(t, ns, "app", helmtest.Chart{Name: "app", Version: "1.0.0", Templates: map[string]string{
		"configmap.yaml": helmtest.DefaultTemplate, "hook.yaml": hook,
	}})
	apply(t, ns, hrDoc("app", ""))
	hr := waitHR(t, ns, "app", "installed", readyWith(helmv2.InstallSucceededReason))
	var job batchv1.Job
	must(t, env.Client.Get(ctx, testenv.Key(ns, "app-pre"), &job))
	for _, e := range hr.Status.Inventory.Entries {
		if strings.Contains(e.ID, "app-pre") {
			t.Errorf("the hook is in the inventory: %s", e.ID)
		}
	}

	// forceAt equal to requestedAt: an upgrade with nothing changed.
	token := time.Now().Format(time.RFC3339Nano)
	hr.Annotations = map[string]string{meta.ReconcileRequestAnnotation: token, meta.ForceRequestAnnotation: token}
	must(t, env.Client.Update(ctx, hr))
	hr = waitHR(t, ns, "app", "forced", func(hr *helmv2.HelmRelease) bool {
		return hr.Status.LastHandledForceAt == token && readyWith(helmv2.UpgradeSucceededReason)(hr)
	})
	if got := releaseSecrets(t, ns, "app"); got["2"] != "deployed" {
		t.Errorf("forceAt made no release: %v", got)
	}

	// The chart changes name: by default (Reinstall) the release is
	// uninstalled and the new chart installed, as Flux does.
	publish(t, ns, "app", helmtest.Chart{Name: "renamed", Version: "1.0.0"})
	hr = waitHR(t, ns, "app", "reinstalled with the renamed chart", func(hr *helmv2.HelmRelease) bool {
		l := hr.Status.History.Latest()
		return readyWith(helmv2.InstallSucceededReason)(hr) && l != nil && l.ChartName == "renamed"
	})
	if _, err := configMap(t, ns, "app-renamed"); err != nil {
		t.Errorf("the renamed chart's object: %v", err)
	}
	if _, err := configMap(t, ns, "app-app"); err == nil {
		t.Error("the old chart's object was left behind")
	}

	// With InPlaceUpdate, a new name upgrades.
	apply(t, ns, hrDoc("app", "  upgrade:\n    chartNameChangeStrategy: InPlaceUpdate\n"))
	publish(t, ns, "app", helmtest.Chart{Name: "third", Version: "1.0.0"})
	waitHR(t, ns, "app", "upgraded to the third chart", func(hr *helmv2.HelmRelease) bool {
		l := hr.Status.History.Latest()
		return readyWith(helmv2.UpgradeSucceededReason)(hr) && l != nil && l.ChartName == "third" && l.Version > 1
	})
}

// TestTargetNamespaceChange: a new targetNamespace (a new release name)
// uninstalls the old release instead of leaving it behind.
func TestTargetNamespaceChange(t *testing.T) {
	ns := env.NewNamespace(t, "hr-retarget")
	other := env.NewNamespace(t, "hr-retarget-other")
	publish(t, ns, "app", helmtest.Chart{Name: "app", Version: "1.0.0"})
	apply(t, ns, hrDoc("app", ""))
	waitHR(t, ns, "app", "installed", readyWith(helmv2.InstallSucceededReason))
	apply(t, ns, hrDoc("app", "  targetNamespace: "+other+"\n"))
	hr := waitHR(t, ns, "app", "installed in the new namespace", readyWith(helmv2.InstallSucceededReason))
	if l := hr.Status.History.Latest(); l == nil || l.Namespace != other || l.Name != other+"-app" {
		t.Errorf("history: %s", testenv.Dump(hr.Status.History))
	}
	if got := releaseSecrets(t, ns, "app"); len(got) != 0 {
		t.Errorf("the old release was left behind: %v", got)
	}
	if _, err := configMap(t, ns, "app-app"); err == nil {
		t.Error("the old release's object was left behind")
	}
}
