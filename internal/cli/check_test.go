package cli

import (
	"context"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferrycd/ferry/internal/controlplane"
)

func TestCheck(t *testing.T) {
	kube := controlplane.KubernetesVersion[1:]

	t.Run("pre", func(t *testing.T) {
		_, stderr, code := ferry(t, "check", "--pre")
		if code != 0 {
			t.Fatalf("check --pre exited %d: %s", code, stderr)
		}
		mustContain(t, "check --pre", stderr, "✔ Kubernetes "+kube+" >=1.30.0", "✔ you may install ferry", "✔ all checks passed")
	})

	t.Run("pre without rights", func(t *testing.T) {
		_, stderr, code := ferry(t, "check", "--pre", "--as", "tenant-without-rights")
		if code != 1 {
			t.Fatalf("check --pre as a user without rights exited %d, want 1: %s", code, stderr)
		}
		mustContain(t, "check --pre --as", stderr,
			"✗ you may not install ferry: not allowed to create customresourcedefinitions.apiextensions.k8s.io",
			"bind clusterroles.rbac.authorization.k8s.io cluster-admin", "✗ 1 check(s) failed")
	})

	t.Run("not installed here", func(t *testing.T) {
		ns := env.NewNamespace(t, "check-empty")
		_, stderr, code := ferry(t, "check", "-n", ns)
		if code != 1 {
			t.Fatalf("check where ferry is not installed exited %d, want 1", code)
		}
		mustContain(t, "check -n "+ns, stderr, "✗ no ferry controller Deployment in namespace "+ns,
			"✔ kustomizations.kustomize.toolkit.fluxcd.io/v1 (also serves v1beta1, v1beta2)", "✔ helmreleases.helm.toolkit.fluxcd.io/v2 (also serves v2beta1, v2beta2)")
	})

	t.Run("installed", func(t *testing.T) {
		if _, stderr, code := ferry(t, "install", "--wait=false", "--version", "v1.2.3"); code != 0 {
			t.Fatalf("install exited %d: %s", code, stderr)
		}
		// The API-only plane runs no kube-controller-manager: nothing
		// rolls the Deployment out.
		_, stderr, code := ferry(t, "check")
		if code != 1 {
			t.Fatalf("check of a Deployment not rolled out exited %d, want 1: %s", code, stderr)
		}
		mustContain(t, "check", stderr, "✗ ferry-system/ferry: its latest spec is not rolled out yet")

		// Report it available, as kube-controller-manager would.
		ctx := context.Background()
		var d appsv1.Deployment
		if err := env.Client.Get(ctx, client.ObjectKey{Namespace: "ferry-system", Name: "ferry"}, &d); err != nil {
			t.Fatal(err)
		}
		d.Status = appsv1.DeploymentStatus{
			ObservedGeneration: d.Generation, Replicas: 1, ReadyReplicas: 1, AvailableReplicas: 1, UpdatedReplicas: 1,
			Conditions: []appsv1.DeploymentCondition{{Type: appsv1.DeploymentAvailable, Status: corev1.ConditionTrue, Reason: "MinimumReplicasAvailable", LastUpdateTime: metav1.Now(), LastTransitionTime: metav1.Now()}},
		}
		if err := env.Client.Status().Update(ctx, &d); err != nil {
			t.Fatal(err)
		}
		_, stderr, code = ferry(t, "check")
		if code != 0 {
			t.Fatalf("check of an available install exited %d: %s", code, stderr)
		}
		mustContain(t, "check", stderr, "✔ ferry-system/ferry: deployment ready, 1/1 replicas available",
			"► ghcr.io/ferrycd/ferry:v1.2.3", "✔ gitrepositories.source.toolkit.fluxcd.io/v1 (also serves", "✔ all checks passed")
	})
}
