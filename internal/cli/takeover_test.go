package cli

import (
	"context"
	"fmt"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/config"
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

	// Flux's CRD of Kustomizations no longer serves v1beta1 (as newer
	// Flux releases); the takeover serves it again.
	crdKey := client.ObjectKey{Name: "kustomizations.kustomize.toolkit.fluxcd.io"}
	crd := &apiextensionsv1.CustomResourceDefinition{}
	if err := env.Client.Get(ctx, crdKey, crd); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = config.InstallCRDs(context.Background(), env.Client) })
	for i := range crd.Spec.Versions {
		if crd.Spec.Versions[i].Name == "v1beta1" {
			crd.Spec.Versions[i].Served = false
		}
	}
	if err := env.Client.Update(ctx, crd); err != nil {
		t.Fatal(err)
	}

	// Flux's Kustomization, its status as kustomize-controller wrote it;
	// suspended until ferry runs, as Flux's controllers are gone then.
	head, _ := repo.Head()
	objs, err := decodeManifests([]byte(fmt.Sprintf(syncYAML, "takeover", ns, env.Git.RepoURL(ns+"/takeover"), "./deploy")))
	if err != nil {
		t.Fatal(err)
	}
	for _, obj := range objs {
		if obj.GetKind() == kustomizev1.KustomizationKind {
			_ = unstructured.SetNestedField(obj.Object, true, "spec", "suspend")
		}
		if err := env.Client.Create(ctx, obj); err != nil {
			t.Fatal(err)
		}
	}
	ksKey := client.ObjectKey{Namespace: ns, Name: "takeover"}
	ks := &kustomizev1.Kustomization{}
	inventory := &kustomizev1.ResourceInventory{Entries: []kustomizev1.ResourceRef{{ID: ns + "_settings__ConfigMap", Version: "v1"}}}
	// The suspended object may still get ferry's finalizer meanwhile.
	if err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if err := env.Client.Get(ctx, ksKey, ks); err != nil {
			return err
		}
		ks.Status.Inventory = inventory
		ks.Status.LastAppliedRevision = "main@sha1:" + head
		ks.Status.Conditions = []metav1.Condition{{Type: "Ready", Status: metav1.ConditionTrue, Reason: "ReconciliationSucceeded",
			Message: "Applied revision: main@sha1:" + head, LastTransitionTime: metav1.Now(), ObservedGeneration: ks.Generation}}
		return env.Client.Status().Update(ctx, ks)
	}); err != nil {
		t.Fatal(err)
	}

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

	_, stderr, _ = ferry(t, "check")
	mustContain(t, "check after the takeover", stderr, "✔ kustomizations.kustomize.toolkit.fluxcd.io/v1 (also serves v1beta1, v1beta2)")

	// ferry reconciles Flux's Kustomization: the ConfigMap is not
	// rewritten, stays kustomize-controller's, and the inventory is kept.
	// resume waits until ferry has reconciled it.
	if _, stderr, code := ferry(t, "-n", ns, "resume", "kustomization", "takeover"); code != 0 {
		t.Fatalf("resume exited %d: %s", code, stderr)
	}
	if err := env.Client.Get(ctx, ksKey, ks); err != nil {
		t.Fatal(err)
	}
	if ks.Status.LastAppliedRevision != "main@sha1:"+head || ks.Status.Inventory == nil || len(ks.Status.Inventory.Entries) != 1 || ks.Status.Inventory.Entries[0] != inventory.Entries[0] {
		t.Errorf("after ferry's reconcile: revision %s, inventory %+v; want Flux's kept", ks.Status.LastAppliedRevision, ks.Status.Inventory)
	}
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
