package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/internal/testenv"
)

func TestConfirm(t *testing.T) {
	for answer, want := range map[string]bool{"y\n": true, "YES\n": true, " yes ": true, "n\n": false, "\n": false, "": false, "yep\n": false} {
		var out bytes.Buffer
		got, err := confirm(strings.NewReader(answer), &out, "sure? ")
		if err != nil || got != want || out.String() != "sure? " {
			t.Errorf("confirm(%q) = %v, %v (printed %q), want %v", answer, got, err, out.String(), want)
		}
	}
}

// testUninstall removes ferry from the status plane: the controller,
// finalizers and CRDs go; what a Kustomization applied stays. It runs
// last among the plane's tests: the plane has no CRDs after it.
func testUninstall(t *testing.T, p *statusPlane) {
	ctx := context.Background()
	if _, stderr, code := p.ferry(t, "install", "--wait=false"); code != 0 {
		t.Fatalf("install exited %d: %s", code, stderr)
	}
	ns := p.newNamespace(t, "uninstall")
	ks := &kustomizev1.Kustomization{
		ObjectMeta: metav1.ObjectMeta{Name: "apps", Namespace: ns, Finalizers: []string{"finalizers.fluxcd.io"}},
		Spec: kustomizev1.KustomizationSpec{Interval: metav1.Duration{Duration: time.Hour}, Path: "./", Prune: true,
			SourceRef: kustomizev1.CrossNamespaceSourceReference{Kind: "GitRepository", Name: "apps"}},
	}
	workload := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "workload", Namespace: ns,
		Labels: map[string]string{kustomizev1.NameLabel: "apps", kustomizev1.NamespaceLabel: ns}}}
	p.create(t, ks, workload)

	// A dry run changes nothing.
	_, stderr, code := p.ferry(t, "uninstall", "--dry-run")
	if code != 0 {
		t.Fatalf("uninstall --dry-run exited %d: %s", code, stderr)
	}
	mustContain(t, "uninstall --dry-run", stderr, "► Deployment/ferry-system/ferry would be deleted",
		"► CustomResourceDefinition/kustomizations.kustomize.toolkit.fluxcd.io would be deleted",
		"► Namespace/ferry-system would be deleted", "✔ dry run finished: nothing was removed")
	if err := p.client.Get(ctx, client.ObjectKeyFromObject(ks), ks); err != nil || len(ks.Finalizers) != 1 {
		t.Fatalf("after the dry run the Kustomization is %v with finalizers %v", err, ks.Finalizers)
	}

	// Without --silent and with nothing to read, uninstall asks and stops.
	_, stderr, code = p.ferry(t, "uninstall")
	if code != 1 {
		t.Errorf("uninstall without an answer exited %d, want 1", code)
	}
	mustContain(t, "uninstall without an answer", stderr, "Workloads stay. [y/N]", "uninstall cancelled")

	_, stderr, code = p.ferry(t, "uninstall", "--silent")
	if code != 0 {
		t.Fatalf("uninstall exited %d: %s", code, stderr)
	}
	mustContain(t, "uninstall", stderr, "✔ Deployment/ferry-system/ferry deleted", "✔ finalizers removed from 1 object(s)",
		"✔ ClusterRoleBinding/ferry-cluster-reconciler deleted", "✔ Namespace/ferry-system deleted", "✔ uninstall finished")

	testenv.Eventually(t, "the CRDs to be gone", func() (bool, string) {
		crd := &unstructured.Unstructured{}
		crd.SetGroupVersionKind(apiextensionsv1.SchemeGroupVersion.WithKind("CustomResourceDefinition"))
		err := p.client.Get(ctx, client.ObjectKey{Name: "kustomizations.kustomize.toolkit.fluxcd.io"}, crd)
		return apierrors.IsNotFound(err), "the CRD still exists"
	})
	if err := p.client.Get(ctx, client.ObjectKeyFromObject(workload), workload); err != nil {
		t.Errorf("the applied ConfigMap is gone: %v", err)
	}
	var d appsv1.Deployment
	if err := p.client.Get(ctx, client.ObjectKey{Namespace: "ferry-system", Name: "ferry"}, &d); !apierrors.IsNotFound(err) {
		t.Errorf("the ferry Deployment is still there: %v", err)
	}

	// Again: nothing left to remove is not an error.
	if _, stderr, code := p.ferry(t, "uninstall", "--silent"); code != 0 {
		t.Errorf("a second uninstall exited %d: %s", code, stderr)
	}
}
