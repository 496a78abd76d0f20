package helmrelease_test

import (
	"context"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	helmv2 "github.com/ferrycd/ferry/api/helm/v2"
	"github.com/ferrycd/ferry/api/meta"
	"github.com/ferrycd/ferry/internal/helm/helmtest"
	"github.com/ferrycd/ferry/internal/testenv"
)

// testJob is a Helm test hook Job; with a nodeSelector no node has and a
// short deadline it fails.
func testJob(failing bool) string {
	extra := ""
	if failing {
		extra = "      nodeSelector:\n        ferry.test/nowhere: \"true\"\n"
	}
	deadline := "60"
	if failing {
		deadline = "2"
	}
	return `apiVersion: batch/v1
kind: Job
metadata:
  name: {{ .Release.Name }}-test
  annotations:
    helm.sh/hook: test
spec:
  activeDeadlineSeconds: ` + deadline + `
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
` + extra + `      containers:
        - name: test
          image: registry.example/test:1
`
}

// TestHelmTests: tests run after an install and set TestSuccess; a
// failing test after an upgrade fails the release (Ready=False,
// TestFailed) unless its failures are ignored.
func TestHelmTests(t *testing.T) {
	ns := env.NewNamespace(t, "hr-test")
	chart := func(version string, failing bool) helmtest.Chart {
		return helmtest.Chart{Name: "tested", Version: version, Templates: map[string]string{
			"configmap.yaml": helmtest.DefaultTemplate, "test.yaml": testJob(failing),
		}}
	}
	publish(t, ns, "app", chart("1.0.0", false))
	apply(t, ns, hrDoc("app", "  test:\n    enable: true\n"))
	hr := waitHR(t, ns, "app", "tested", readyWith(helmv2.TestSucceededReason))
	if c := condition(hr, helmv2.TestSuccessCondition); c == nil || c.Status != metav1.ConditionTrue {
		t.Errorf("TestSuccess = %s", testenv.Dump(c))
	}
	if l := hr.Status.History.Latest(); l == nil || l.TestHooks == nil || len(*l.TestHooks) != 1 {
		t.Errorf("history testHooks: %s", testenv.Dump(hr.Status.History))
	}

	// A failing test fails the upgrade.
	publish(t, ns, "app", chart("1.1.0", true))
	hr = waitHR(t, ns, "app", "failed its test", func(hr *helmv2.HelmRelease) bool {
		c := condition(hr, meta.ReadyCondition)
		return c != nil && c.Status == metav1.ConditionFalse && c.Reason == helmv2.TestFailedReason &&
			hr.Status.LastAttemptedRevision == "1.1.0"
	})
	if c := condition(hr, helmv2.TestSuccessCondition); c == nil || c.Status != metav1.ConditionFalse {
		t.Errorf("TestSuccess = %s", testenv.Dump(c))
	}

	// Ignored failures keep it Ready.
	apply(t, ns, hrDoc("app", "  test:\n    enable: true\n    ignoreFailures: true\n"))
	publish(t, ns, "app", chart("1.2.0", true))
	waitHR(t, ns, "app", "Ready despite its failing test", func(hr *helmv2.HelmRelease) bool {
		c := condition(hr, helmv2.TestSuccessCondition)
		return readyWith("")(hr) && hr.Status.LastAttemptedRevision == "1.2.0" && c != nil && c.Status == metav1.ConditionFalse
	})
}

// TestPostRenderersAndTargets: kustomize post-renderers (patches, images,
// and v2beta1's patchesStrategicMerge converted), commonMetadata,
// targetNamespace created on install and a separate storage namespace; a
// changed post-renderer upgrades, an unchanged one does not.
func TestPostRenderersAndTargets(t *testing.T) {
	ns := env.NewNamespace(t, "hr-post")
	target := ns + "-target"
	storage := env.NewNamespace(t, "hr-post-storage")
	publish(t, ns, "app", deployChart)
	doc := func(label string) string {
		return hrDoc("app", `  releaseName: web
  targetNamespace: `+target+`
  storageNamespace: `+storage+`
  install:
    createNamespace: true
  commonMetadata:
    labels:
      team: platform
  postRenderers:
    - kustomize:
        patches:
          - target:
              kind: Deployment
            patch: |
              - op: add
                path: /metadata/annotations
                value:
                  patched: json6902
        images:
          - name: registry.example/app
            newTag: "2"
        patchesStrategicMerge:
          - apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: web
              namespace: `+target+`
              labels:
                stage: `+label+`
`)
	}
	apply(t, ns, doc("one"))
	hr := waitHR(t, ns, "app", "installed", readyWith(helmv2.InstallSucceededReason))
	var d appsv1.Deployment
	must(t, env.Client.Get(context.Background(), testenv.Key(target, "web"), &d))
	if d.Annotations["patched"] != "json6902" || d.Labels["stage"] != "one" || d.Labels["team"] != "platform" ||
		d.Spec.Template.Spec.Containers[0].Image != "registry.example/app:2" {
		t.Errorf("post-rendered Deployment: labels %v annotations %v image %s", d.Labels, d.Annotations, d.Spec.Template.Spec.Containers[0].Image)
	}
	if got := releaseSecrets(t, storage, "web"); got["1"] != "deployed" {
		t.Errorf("storage namespace %s: %v", storage, got)
	}
	if hr.Status.StorageNamespace != storage || hr.Status.ObservedPostRenderersDigest == "" {
		t.Errorf("status: storageNamespace %q observedPostRenderersDigest %q", hr.Status.StorageNamespace, hr.Status.ObservedPostRenderersDigest)
	}

	apply(t, ns, doc("two"))
	waitHR(t, ns, "app", "upgraded for the post-renderer", readyWith(helmv2.UpgradeSucceededReason))
	must(t, env.Client.Get(context.Background(), testenv.Key(target, "web"), &d))
	if d.Labels["stage"] != "two" {
		t.Errorf("the changed post-renderer was not released: %v", d.Labels)
	}
	token := testenv.RequestReconcile(t, env.Client, &helmv2.HelmRelease{}, testenv.Key(ns, "app"))
	waitHR(t, ns, "app", "reconciled", func(hr *helmv2.HelmRelease) bool { return hr.Status.LastHandledReconcileAt == token })
	if got := releaseSecrets(t, storage, "web"); len(got) != 2 {
		t.Errorf("an unchanged post-renderer upgraded: %v", got)
	}
}

// TestWatchedValuesSecret: a Secret labelled reconcile.fluxcd.io/watch:
// Enabled upgrades the HelmReleases using it as soon as it changes.
func TestWatchedValuesSecret(t *testing.T) {
	ns := env.NewNamespace(t, "hr-watch")
	ctx := context.Background()
	publish(t, ns, "app", helmtest.Chart{Name: "app", Version: "1.0.0"})
	s := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "values", Labels: map[string]string{"reconcile.fluxcd.io/watch": "Enabled"}},
		StringData: map[string]string{"values.yaml": "data:\n  level: one\n"},
	}
	must(t, env.Client.Create(ctx, s))
	apply(t, ns, hrDoc("app", "  valuesFrom:\n    - kind: Secret\n      name: values\n"))
	waitHR(t, ns, "app", "installed", readyWith(helmv2.InstallSucceededReason))
	s.StringData = map[string]string{"values.yaml": "data:\n  level: two\n"}
	must(t, env.Client.Update(ctx, s))
	testenv.Eventually(t, "the new Secret values released", func() (bool, string) {
		cm, err := configMap(t, ns, "app-app")
		if err != nil {
			return false, err.Error()
		}
		return cm.Data["level"] == "two", testenv.Dump(cm.Data)
	})
}
