package helmrelease_test

import (
	"context"
	"strings"
	"testing"
	"time"

	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	helmv2 "github.com/ferrycd/ferry/api/helm/v2"
	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/api/meta"
	"github.com/ferrycd/ferry/internal/helm/helmtest"
	"github.com/ferrycd/ferry/internal/testenv"
)

// The suite runs no Kustomization controller: a test creates the
// Kustomization a HelmRelease depends on and writes its status itself.

// createKustomization creates a Kustomization ns/name with labels; nothing
// reconciles it.
func createKustomization(t *testing.T, ns, name string, labels map[string]string) *kustomizev1.Kustomization {
	t.Helper()
	ks := &kustomizev1.Kustomization{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: labels},
		Spec: kustomizev1.KustomizationSpec{
			Interval:  metav1.Duration{Duration: time.Hour},
			Prune:     true,
			SourceRef: kustomizev1.CrossNamespaceSourceReference{Kind: "GitRepository", Name: "infra"},
		},
	}
	must(t, env.Client.Create(context.Background(), ks))
	return ks
}

// markKustomizationReady marks ks Ready=True at its generation, through
// the status subresource, as the Kustomization controller does.
func markKustomizationReady(t *testing.T, ks *kustomizev1.Kustomization) {
	t.Helper()
	ks.Status.ObservedGeneration = ks.Generation
	ks.Status.LastAppliedRevision = "main@sha1:0123456789abcdef0123456789abcdef01234567"
	apimeta.SetStatusCondition(&ks.Status.Conditions, metav1.Condition{
		Type: meta.ReadyCondition, Status: metav1.ConditionTrue, Reason: meta.ReconciliationSucceededReason,
		Message: "Applied revision: " + ks.Status.LastAppliedRevision, ObservedGeneration: ks.Generation,
	})
	must(t, env.Client.Status().Update(context.Background(), ks))
}

// waitingFor is a HelmRelease waiting with DependencyNotReady whose message
// contains the error want.
func waitingFor(want string) func(*helmv2.HelmRelease) bool {
	return func(hr *helmv2.HelmRelease) bool {
		return failedWith(helmv2.DependencyNotReadyReason)(hr) && strings.Contains(readyMessage(hr), "("+want+")")
	}
}

// TestDependencyOnKustomization is ferry's cross-kind dependsOn from a
// HelmRelease: kind: Kustomization waits, DependencyNotReady naming
// Kustomization/<ns>/<name>, while the Kustomization is missing or not
// Ready at its generation, and installs once it is.
func TestDependencyOnKustomization(t *testing.T) {
	ns := env.NewNamespace(t, "hr-dependson-ks")
	publish(t, ns, "web", helmtest.Chart{Name: "app", Version: "1.0.0", Values: "data:\n  color: grey\n"})
	apply(t, ns, hrDoc("web", `  dependsOn:
    - kind: Kustomization
      name: infra
`))
	hr := waitHR(t, ns, "web", "waiting for the missing Kustomization", waitingFor("dependency 'Kustomization/"+ns+"/infra' not found"))
	if len(hr.Status.History) != 0 {
		t.Fatalf("released before its dependency existed: %s", testenv.Dump(hr.Status.History))
	}

	ks := createKustomization(t, ns, "infra", nil)
	waitHR(t, ns, "web", "waiting for the Kustomization to be Ready", waitingFor("dependency 'Kustomization/"+ns+"/infra' is not ready"))
	if _, err := configMap(t, ns, "web-app"); err == nil {
		t.Fatal("the chart was installed before the Kustomization was Ready")
	}

	markKustomizationReady(t, ks)
	waitHR(t, ns, "web", "installed once the Kustomization is Ready", readyWith(helmv2.InstallSucceededReason))
	if _, err := configMap(t, ns, "web-app"); err != nil {
		t.Errorf("the chart's ConfigMap: %v", err)
	}
}

// TestDependencyOnKustomizationReadyExpr replaces the readiness check of a
// Kustomization dependency with a readyExpr over self (the HelmRelease) and
// dep (the Kustomization, with its apiVersion and kind).
func TestDependencyOnKustomizationReadyExpr(t *testing.T) {
	ns := env.NewNamespace(t, "hr-dependson-expr")
	publish(t, ns, "web", helmtest.Chart{Name: "app", Version: "1.0.0", Values: "data:\n  color: grey\n"})
	ks := createKustomization(t, ns, "infra", map[string]string{"stage": "building"})
	apply(t, ns, hrDoc("web", `  dependsOn:
    - kind: Kustomization
      apiVersion: kustomize.toolkit.fluxcd.io/v1
      name: infra
      readyExpr: >-
        dep.apiVersion == 'kustomize.toolkit.fluxcd.io/v1' && dep.kind == 'Kustomization' &&
        self.kind == 'HelmRelease' && dep.metadata.labels.stage == 'done'
`))
	waitHR(t, ns, "web", "waiting for the readyExpr",
		waitingFor("dependency 'Kustomization/"+ns+"/infra' is not ready according to its readyExpr"))

	patch := client.MergeFrom(ks.DeepCopy())
	ks.Labels["stage"] = "done"
	must(t, env.Client.Patch(context.Background(), ks, patch))
	waitHR(t, ns, "web", "installed once the readyExpr holds", readyWith(helmv2.InstallSucceededReason))
}

// TestDependencyOnHelmRelease is Flux's dependsOn between HelmReleases,
// unchanged: a name without a kind is a HelmRelease, named
// "<namespace>/<name>" in the message.
func TestDependencyOnHelmRelease(t *testing.T) {
	ns := env.NewNamespace(t, "hr-dependson-hr")
	c := helmtest.Chart{Name: "app", Version: "1.0.0", Values: "data:\n  color: grey\n"}
	publish(t, ns, "web", c)
	apply(t, ns, hrDoc("web", `  dependsOn:
    - name: db
`))
	waitHR(t, ns, "web", "waiting for the missing HelmRelease", waitingFor("dependency '"+ns+"/db' not found"))

	publish(t, ns, "db", c)
	apply(t, ns, hrDoc("db", ""))
	waitHR(t, ns, "db", "installed", readyWith(helmv2.InstallSucceededReason))
	waitHR(t, ns, "web", "installed once its dependency is", readyWith(helmv2.InstallSucceededReason))
}
