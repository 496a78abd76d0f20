package cli

import (
	"context"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

func TestInstallExport(t *testing.T) {
	stdout, stderr, code := ferry(t, "install", "--export", "--version", "v9.9.9")
	if code != 0 {
		t.Fatalf("install --export exited %d: %s", code, stderr)
	}
	objs, err := decodeManifests([]byte(stdout))
	if err != nil {
		t.Fatalf("install --export printed YAML that does not decode: %v", err)
	}
	seen := map[string]bool{}
	for _, o := range objs {
		seen[objectName(o)] = true
	}
	for _, want := range []string{
		"Namespace/ferry-system",
		"CustomResourceDefinition/gitrepositories.source.toolkit.fluxcd.io",
		"CustomResourceDefinition/kustomizations.kustomize.toolkit.fluxcd.io",
		"Deployment/ferry-system/ferry",
	} {
		if !seen[want] {
			t.Errorf("install --export lacks %s; it has %v", want, seen)
		}
	}
	mustContain(t, "install --export", stdout, "image: ghcr.io/ferrycd/ferry:v9.9.9")

	const ref = "127.0.0.1:5000/ferry@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	stdout, stderr, code = ferry(t, "install", "--export", "--image", ref, "-n", "gitops")
	if code != 0 {
		t.Fatalf("install --export --image exited %d: %s", code, stderr)
	}
	mustContain(t, "install --export --image -n gitops", stdout, "image: "+ref, "name: gitops", "namespace: gitops")
	if strings.Contains(stdout, "ferry-system") {
		t.Errorf("install --export -n gitops still names ferry-system")
	}
	_, stderr, code = ferry(t, "install", "--export", "--image", "ferry:v1 --privileged")
	if code != 1 {
		t.Errorf("install --export with a bad image exited %d, want 1", code)
	}
	mustContain(t, "install --export with a bad image", stderr, `invalid image "ferry:v1 --privileged"`)
}

func TestInstallMonitoring(t *testing.T) {
	stdout, stderr, code := ferry(t, "install", "--export", "--monitoring")
	if code != 0 {
		t.Fatalf("install --export --monitoring exited %d: %s", code, stderr)
	}
	objs, err := decodeManifests([]byte(stdout))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, o := range objs {
		seen[objectName(o)] = true
	}
	for _, want := range []string{"PrometheusRule/ferry-system/ferry", "ConfigMap/ferry-system/ferry-grafana-dashboard", "Deployment/ferry-system/ferry"} {
		if !seen[want] {
			t.Errorf("install --export --monitoring lacks %s; it has %v", want, seen)
		}
	}
	// The test plane has no Prometheus Operator: refused before anything
	// is applied.
	ns := env.NewNamespace(t, "install-monitoring")
	_, stderr, code = ferry(t, "install", "--monitoring", "-n", ns, "--wait=false")
	if code != 1 {
		t.Fatalf("install --monitoring without the operator's CRDs exited %d, want 1", code)
	}
	mustContain(t, "install --monitoring", stderr, "--monitoring needs the Prometheus Operator's CRDs", "Nothing was applied")
	var d appsv1.Deployment
	if err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "ferry"}, &d); err == nil {
		t.Error("a refused install --monitoring created the Deployment")
	}
}

func TestInstallApplies(t *testing.T) {
	// The API-only plane has no kube-controller-manager, so nothing would
	// ever mark the Deployment available: check what was applied instead.
	for i := 0; i < 2; i++ { // the second run must be a no-op, not an error
		_, stderr, code := ferry(t, "install", "--wait=false")
		if code != 0 {
			t.Fatalf("install run %d exited %d: %s", i+1, code, stderr)
		}
		mustContain(t, "install output", stderr, "✔ CRDs established", "Deployment/ferry-system/ferry applied")
	}
	var d appsv1.Deployment
	if err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: "ferry-system", Name: "ferry"}, &d); err != nil {
		t.Fatalf("the ferry Deployment was not created: %v", err)
	}
	if got := d.Spec.Template.Spec.Containers[0].Args; len(got) == 0 || got[0] != "controller" {
		t.Errorf("the Deployment does not run 'ferry controller': args %v", got)
	}
}

// TestInstallFluxLayout installs where tools written for Flux look: in
// flux-system, the Deployment and the CRDs labelled part-of=flux.
func TestInstallFluxLayout(t *testing.T) {
	_, stderr, code := ferry(t, "install", "--flux-layout", "--wait=false", "--version", "v3.0.0")
	if code != 0 {
		t.Fatalf("install --flux-layout exited %d: %s", code, stderr)
	}
	ctx := context.Background()
	var deployments appsv1.DeploymentList
	if err := env.Client.List(ctx, &deployments, client.InNamespace("flux-system"), client.MatchingLabels{"app.kubernetes.io/part-of": "flux"}); err != nil {
		t.Fatal(err)
	}
	if len(deployments.Items) != 1 || deployments.Items[0].Name != "ferry" || deployments.Items[0].Spec.Template.Spec.Containers[0].Name != "manager" ||
		deployments.Items[0].Labels["app.kubernetes.io/version"] != "v3.0.0" || deployments.Items[0].Spec.Template.Labels["app.kubernetes.io/part-of"] != "flux" {
		t.Fatalf("Deployments labelled part-of=flux in flux-system: %+v", deployments.Items)
	}
	crds := &unstructured.UnstructuredList{}
	crds.SetAPIVersion("apiextensions.k8s.io/v1")
	crds.SetKind("CustomResourceDefinitionList")
	if err := env.Client.List(ctx, crds, client.MatchingLabels{"app.kubernetes.io/part-of": "flux"}); err != nil {
		t.Fatal(err)
	}
	if len(crds.Items) != 13 {
		t.Errorf("%d CRDs labelled part-of=flux, want ferry's 13", len(crds.Items))
	}
	// ferry's own commands find it by its name label.
	_, stderr, _ = ferry(t, "check", "-n", "flux-system")
	mustContain(t, "check -n flux-system", stderr, "flux-system/ferry: its latest spec is not rolled out yet")
}
