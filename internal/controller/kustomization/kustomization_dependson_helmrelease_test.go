package kustomization_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferrycd/ferry/internal/controller"

	helmv2 "github.com/ferrycd/ferry/api/helm/v2"
	"github.com/ferrycd/ferry/api/meta"
	"github.com/ferrycd/ferry/internal/testenv"
)

// The suite runs no HelmRelease controller: a test creates the HelmRelease
// a Kustomization depends on and writes its status itself.

// helmReleaseYAML is a HelmRelease name of the fixture's namespace, of a
// HelmChart of the same name.
func helmReleaseYAML(name string) string {
	return fmt.Sprintf(`apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: %s
  namespace: {{ns}}
spec:
  interval: 1h
  chartRef:
    kind: HelmChart
    name: %[1]s`, name)
}

// markReady marks the HelmRelease ns/name Ready=True at its generation,
// through the status subresource, as the HelmRelease controller does after
// an install.
func markReady(t *testing.T, ns, name string) {
	t.Helper()
	ctx := context.Background()
	hr := &helmv2.HelmRelease{}
	if err := env.Client.Get(ctx, testenv.Key(ns, name), hr); err != nil {
		t.Fatal(err)
	}
	hr.Status.ObservedGeneration = hr.Generation
	apimeta.SetStatusCondition(&hr.Status.Conditions, metav1.Condition{
		Type: meta.ReadyCondition, Status: metav1.ConditionTrue, Reason: helmv2.InstallSucceededReason,
		Message: "Helm install succeeded for release " + ns + "/" + name + ".v1", ObservedGeneration: hr.Generation,
	})
	if err := env.Client.Status().Update(ctx, hr); err != nil {
		t.Fatal(err)
	}
}

// appDependingOn is the fixture's GitRepository and a Kustomization "app"
// of reconciler (none: the suite's) with the dependsOn entries deps.
func appDependingOn(reconciler, deps string) string {
	labels := ""
	if reconciler != "" {
		labels = "\n  labels:\n    test.ferry.dev/reconciler: " + reconciler
	}
	return `apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: app
  namespace: {{ns}}
spec:
  interval: 1h
  url: {{url}}
  ref:
    branch: main
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: app
  namespace: {{ns}}` + labels + `
spec:
  interval: 1h
  retryInterval: 1h
  path: apps/staging
  prune: true
  targetNamespace: {{ns}}
  sourceRef:
    kind: GitRepository
    name: app
  dependsOn:
` + deps
}

// TestDependsOnHelmRelease is ferry's cross-kind dependsOn: a
// Kustomization waits for a HelmRelease (kind: HelmRelease) that is not
// Ready, with DependencyNotReady naming HelmRelease/<ns>/<name>, and starts
// as soon as the HelmRelease becomes Ready at its generation, although its
// reconciler retries dependencies only every hour.
func TestDependsOnHelmRelease(t *testing.T) {
	f := newFixture(t, appFiles())
	startReconciler(f, "dependson-hr", func(o *controller.Options) { o.DependencyRequeue = time.Hour })
	f.ApplyYAML(helmReleaseYAML("redis") + "\n---\n" + appDependingOn("dependson-hr", `    - kind: HelmRelease
      name: redis`))
	ks := f.WaitFor("waiting for the HelmRelease", testenv.KustomizationFailed("DependencyNotReady", ""))
	if msg, want := testenv.ReadyCondition(ks).Message, "dependency 'HelmRelease/"+f.NS+"/redis' is not ready"; msg != want {
		t.Errorf("Ready message = %q, want %q", msg, want)
	}
	if f.Get("apps/v1", "Deployment", "web") != nil {
		t.Fatal("the dependent was applied before the HelmRelease was Ready")
	}

	markReady(t, f.NS, "redis")
	f.WaitFor("ready once the HelmRelease is", testenv.KustomizationReady(f.Head()))
	if f.Get("apps/v1", "Deployment", "web") == nil {
		t.Error("Deployment web was not applied")
	}
	if got := f.kustomization().Spec.DependsOn[0]; got.Kind != helmv2.HelmReleaseKind || got.Name != "redis" {
		t.Errorf("dependsOn read back as %+v: the API server pruned kind", got)
	}
}

// TestDependsOnHelmReleaseMissing names a HelmRelease that does not exist:
// DependencyNotReady, "dependency 'HelmRelease/<ns>/<name>' not found",
// until it is created and Ready.
func TestDependsOnHelmReleaseMissing(t *testing.T) {
	f := newFixture(t, appFiles())
	f.ApplyYAML(appDependingOn("", `    - kind: HelmRelease
      apiVersion: helm.toolkit.fluxcd.io/v2
      name: db`))
	ks := f.WaitFor("waiting for the HelmRelease", testenv.KustomizationFailed("DependencyNotReady", ""))
	if msg, want := testenv.ReadyCondition(ks).Message, "dependency 'HelmRelease/"+f.NS+"/db' not found"; msg != want {
		t.Errorf("Ready message = %q, want %q", msg, want)
	}
	if f.Get("apps/v1", "Deployment", "web") != nil {
		t.Fatal("the dependent was applied without its HelmRelease")
	}

	f.ApplyYAML(helmReleaseYAML("db"))
	markReady(t, f.NS, "db")
	f.WaitFor("ready once the HelmRelease exists and is Ready", testenv.KustomizationReady(f.Head()))
}

// TestDependsOnHelmReleaseReadyExpr replaces the readiness check of a
// HelmRelease dependency with a readyExpr over self (the Kustomization) and
// dep (the HelmRelease, with its apiVersion and kind): the Kustomization
// waits until the expression holds, although the HelmRelease never becomes
// Ready.
func TestDependsOnHelmReleaseReadyExpr(t *testing.T) {
	f := newFixture(t, appFiles())
	f.ApplyYAML(helmReleaseYAML("redis") + "\n---\n" + appDependingOn("", `    - kind: HelmRelease
      name: redis
      readyExpr: >-
        dep.apiVersion == 'helm.toolkit.fluxcd.io/v2' && dep.kind == 'HelmRelease' &&
        self.kind == 'Kustomization' && dep.metadata.?labels.?stage.orValue('') == 'done'`))
	ks := f.WaitFor("waiting for the readyExpr", testenv.KustomizationFailed("DependencyNotReady", ""))
	if msg, want := testenv.ReadyCondition(ks).Message, "dependency 'HelmRelease/"+f.NS+"/redis' is not ready according to its readyExpr"; msg != want {
		t.Errorf("Ready message = %q, want %q", msg, want)
	}

	hr := &helmv2.HelmRelease{}
	if err := env.Client.Get(context.Background(), testenv.Key(f.NS, "redis"), hr); err != nil {
		t.Fatal(err)
	}
	patch := client.MergeFrom(hr.DeepCopy())
	hr.Labels = map[string]string{"stage": "done"}
	if err := env.Client.Patch(context.Background(), hr, patch); err != nil {
		t.Fatal(err)
	}
	f.WaitFor("ready once the readyExpr holds", testenv.KustomizationReady(f.Head()))
	if f.Get("apps/v1", "Deployment", "web") == nil {
		t.Error("Deployment web was not applied")
	}
}
