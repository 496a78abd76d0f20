package cli

import (
	"context"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/internal/testenv"
)

// TestInstallTakeover: beside Flux's controllers install refuses; with
// --takeover it scales them to zero (recording their replicas) and ferry
// reconciles what Flux applied without rewriting it.
func TestInstallTakeover(t *testing.T) {
	ctx := context.Background()
	labels := map[string]string{"app.kubernetes.io/part-of": "flux", "app": "kustomize-controller"}
	flux := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "kustomize-controller", Namespace: "flux-system", Labels: labels},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(int32(2)),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "kustomize-controller"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "manager", Image: "ghcr.io/fluxcd/kustomize-controller:v1.6.0"}}},
			},
		},
	}
	_ = env.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "flux-system"}})
	if err := env.Client.Create(ctx, flux); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Client.Delete(context.Background(), flux) })

	_, stderr, code := ferry(t, "install", "--wait=false")
	if code != 1 {
		t.Fatalf("install beside Flux exited %d, want 1: %s", code, stderr)
	}
	mustContain(t, "install beside Flux", stderr, "Flux's controllers run in this cluster (flux-system/kustomize-controller)", "Pass --takeover", "Nothing was applied")
	if err := env.Client.Get(ctx, client.ObjectKeyFromObject(flux), flux); err != nil || *flux.Spec.Replicas != 2 {
		t.Fatalf("the refused install changed Flux's Deployment: %v %v", flux.Spec.Replicas, err)
	}

	// What Flux's kustomize-controller applied: its field manager, its
	// labels.
	ns, repo := setupSyncRepo(t, "takeover", map[string]string{"deploy/cm.yaml": configMapYAML("settings", "one")})
	cm := &unstructured.Unstructured{}
	cm.SetAPIVersion("v1")
	cm.SetKind("ConfigMap")
	cm.SetNamespace(ns)
	cm.SetName("settings")
	cm.SetLabels(map[string]string{kustomizev1.NameLabel: "takeover", kustomizev1.NamespaceLabel: ns})
	_ = unstructured.SetNestedStringMap(cm.Object, map[string]string{"value": "one"}, "data")
	if err := env.Client.Apply(ctx, client.ApplyConfigurationFromUnstructured(cm), client.FieldOwner("kustomize-controller"), client.ForceOwnership); err != nil {
		t.Fatal(err)
	}
	if err := env.Client.Get(ctx, client.ObjectKeyFromObject(cm), cm); err != nil {
		t.Fatal(err)
	}
	before := cm.GetResourceVersion()

	_, stderr, code = ferry(t, "install", "--takeover", "--wait=false")
	if code != 0 {
		t.Fatalf("install --takeover exited %d: %s", code, stderr)
	}
	mustContain(t, "install --takeover", stderr, "✔ Flux's Deployment flux-system/kustomize-controller scaled from 2 to 0 replicas",
		"✔ Flux's controllers stopped", "Deployment/ferry-system/ferry applied")
	if err := env.Client.Get(ctx, client.ObjectKeyFromObject(flux), flux); err != nil || *flux.Spec.Replicas != 0 || flux.Annotations[ReplicasBeforeTakeoverAnnotation] != "2" {
		t.Errorf("Flux's Deployment after the takeover: replicas %v, annotations %v (%v)", flux.Spec.Replicas, flux.Annotations, err)
	}
	// Flux's controllers are down now: installing again needs no flag.
	if _, stderr, code := ferry(t, "install", "--wait=false"); code != 0 {
		t.Errorf("install after the takeover exited %d: %s", code, stderr)
	}

	// ferry reconciles Flux's Kustomization: the ConfigMap is not
	// rewritten, and stays kustomize-controller's.
	createSyncObjects(t, ns, "takeover", "./deploy")
	head, _ := repo.Head()
	testenv.Eventually(t, "Kustomization takeover applied", func() (bool, string) {
		ks := &kustomizev1.Kustomization{}
		if err := env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "takeover"}, ks); err != nil {
			return false, err.Error()
		}
		return ks.Status.LastAppliedRevision == "main@sha1:"+head && testenv.ReadyCondition(ks).Status == metav1.ConditionTrue, ks.Status.LastAppliedRevision
	})
	if err := env.Client.Get(ctx, client.ObjectKeyFromObject(cm), cm); err != nil {
		t.Fatal(err)
	}
	if cm.GetResourceVersion() != before {
		t.Errorf("ferry rewrote the ConfigMap Flux applied: resourceVersion %s, was %s; managed fields %+v", cm.GetResourceVersion(), before, cm.GetManagedFields())
	}
	for _, mf := range cm.GetManagedFields() {
		if mf.Manager != "kustomize-controller" {
			t.Errorf("the ConfigMap has a field manager %q besides kustomize-controller", mf.Manager)
		}
	}
}
