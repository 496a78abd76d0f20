package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	helmv2 "github.com/ferrycd/ferry/api/helm/v2"
)

// dryRunApply applies the YAML documents of an --export, moved to
// namespace ns, in a server-side dry run (kubectl apply --dry-run=server):
// the API server must take them as they are.
func dryRunApply(t *testing.T, ns, yamlDocs string) {
	t.Helper()
	objs, err := decodeManifests([]byte(yamlDocs))
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) == 0 {
		t.Fatal("no objects in the export")
	}
	for _, obj := range objs {
		obj.SetNamespace(ns)
		if err := env.Client.Patch(context.Background(), obj, client.Apply, client.DryRunAll, client.FieldOwner("ferry-test"), client.ForceOwnership); err != nil {
			t.Errorf("the API server refuses the exported %s: %v", objectName(obj), err)
		}
	}
}

// valuesFiles writes two values files, the second overriding part of the
// first.
func valuesFiles(t *testing.T) (base, override string) {
	t.Helper()
	dir := t.TempDir()
	base, override = filepath.Join(dir, "values.yaml"), filepath.Join(dir, "values-production.yaml")
	files := map[string]string{
		base: `replicaCount: 1
image:
  repository: ghcr.io/stefanprodan/podinfo
  tag: 6.0.3
ingress:
  enabled: false
  hosts: [podinfo.local]
`,
		override: `replicaCount: 3
image:
  tag: 6.0.4
ingress:
  hosts: [podinfo.example.com]
resources:
  limits: {memory: 256Mi}
`,
	}
	for path, data := range files {
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return base, override
}

// TestCreateHelmReleaseExport checks the YAML of `create helmrelease
// --export` against golden files, and that the API server takes it as it
// is.
func TestCreateHelmReleaseExport(t *testing.T) {
	ns := env.NewNamespace(t, "exporthr")
	base, override := valuesFiles(t)
	tests := map[string][]string{
		"create_helmrelease_default.golden": {"--source=HelmRepository/podinfo", "--chart=podinfo"},
		"create_helmrelease_full.golden": {
			"--source=helmrepository/podinfo.flux-system", "--chart=podinfo", "--chart-version=>=6.0.0 <7.0.0",
			"--chart-interval=30m", "--reconcile-strategy=Revision", "--interval=10m",
			"--values=" + base, "--values=" + override, "--values-from=ConfigMap/podinfo-values,secret/podinfo-secrets",
			"--release-name=podinfo-production", "--target-namespace=podinfo", "--storage-namespace=helm-storage",
			"--create-target-namespace", "--depends-on=cert-manager,infra/ingress-nginx", "--service-account=deployer",
			"--crds=CreateReplace", "--kubeconfig-secret-ref=production-kubeconfig",
		},
		"create_helmrelease_git.golden":       {"--source=GitRepository/podinfo", "--chart=./charts/podinfo"},
		"create_helmrelease_chart_ref.golden": {"--chart-ref=OCIRepository/podinfo.flux-system", "--values=" + override},
	}
	for name, flags := range tests {
		t.Run(name, func(t *testing.T) {
			stdout, stderr, code := ferry(t, append([]string{"-n", "apps", "create", "helmrelease", "podinfo", "--export"}, flags...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			golden(t, name, []byte(stdout))
			dryRunApply(t, ns, stdout)
		})
	}
}

// TestCreateHelmReleaseValues merges values files as Helm's -f does: maps
// key by key, lists and scalars replaced by the later file.
func TestCreateHelmReleaseValues(t *testing.T) {
	base, override := valuesFiles(t)
	hr, err := (&helmReleaseFlags{source: "HelmRepository/podinfo", chart: "podinfo", interval: 60e9, values: []string{base, override}}).helmRelease("podinfo", "apps")
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(hr.Spec.Values.Raw, &got); err != nil {
		t.Fatal(err)
	}
	want := `{"image":{"repository":"ghcr.io/stefanprodan/podinfo","tag":"6.0.4"},"ingress":{"enabled":false,"hosts":["podinfo.example.com"]},"replicaCount":3,"resources":{"limits":{"memory":"256Mi"}}}`
	if data, _ := json.Marshal(got); string(data) != want {
		t.Errorf("values = %s\nwant     %s", data, want)
	}
}

func TestCreateHelmReleaseRefusals(t *testing.T) {
	notYAML := filepath.Join(t.TempDir(), "values.yaml")
	if err := os.WriteFile(notYAML, []byte("- a list\n- not a map\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	src, chart := "--source=HelmRepository/podinfo", "--chart=podinfo"
	tests := map[string]struct {
		args []string
		want string
	}{
		"no chart at all":          {[]string{}, "--source (with --chart) or --chart-ref is required"},
		"source without chart":     {[]string{src}, "--chart is required with --source"},
		"source without kind":      {[]string{"--source=podinfo", chart}, `--source: "podinfo" must be '<kind>/<name>[.<namespace>]'`},
		"unknown source kind":      {[]string{"--source=OCIRepository/podinfo", chart}, `--source: source kind "OCIRepository" is not one of HelmRepository, GitRepository, Bucket`},
		"bad source":               {[]string{"--source=HelmRepository/podinfo.", chart}, "must be '<kind>/<name>[.<namespace>]'"},
		"unknown chart-ref kind":   {[]string{"--chart-ref=HelmRepository/podinfo"}, `--chart-ref: source kind "HelmRepository" is not one of OCIRepository, HelmChart`},
		"chart-ref and source":     {[]string{"--chart-ref=HelmChart/podinfo", src, chart}, "--chart-ref names an object that holds the chart"},
		"chart-ref and a version":  {[]string{"--chart-ref=HelmChart/podinfo", "--chart-version=6.x"}, "cannot be combined with --source, --chart, --chart-version"},
		"bad crds":                 {[]string{src, chart, "--crds=Replace"}, `--crds "Replace" is not one of Skip, Create, CreateReplace`},
		"bad strategy":             {[]string{src, chart, "--reconcile-strategy=Always"}, `--reconcile-strategy "Always" is not one of ChartVersion, Revision`},
		"values from a Deployment": {[]string{src, chart, "--values-from=Deployment/podinfo"}, `--values-from "Deployment/podinfo": kind "Deployment" is not one of Secret, ConfigMap`},
		"values from no kind":      {[]string{src, chart, "--values-from=podinfo"}, `--values-from "podinfo" must be '<kind>/<name>'`},
		"missing values file":      {[]string{src, chart, "--values=/nonexistent/values.yaml"}, "reading --values /nonexistent/values.yaml"},
		"values not a map":         {[]string{src, chart, "--values=" + notYAML}, "is not a YAML map of values"},
		"bad depends-on":           {[]string{src, chart, "--depends-on=a/b/c"}, `--depends-on "a/b/c" must be '<name>' or '<namespace>/<name>'`},
		"long release name":        {[]string{src, chart, "--release-name=a-release-name-that-is-longer-than-helm-allows-for-names"}, "at most 53 characters"},
		"bad target namespace":     {[]string{src, chart, "--target-namespace=Pod_Info"}, `--target-namespace "Pod_Info" is not a namespace name`},
		"zero interval":            {[]string{src, chart, "--interval=0s"}, "--interval must be positive"},
		"missing name":             {[]string{}, "accepts 1 arg"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			args := []string{"create", "helmrelease"}
			if name != "missing name" {
				args = append(args, "podinfo")
			}
			_, stderr, code := ferry(t, append(append(args, "--export"), tt.args...)...)
			if code == 0 {
				t.Fatal("exit code 0, want failure")
			}
			mustContain(t, "stderr", stderr, tt.want)
		})
	}
}

// testCreateHelmRelease creates a HelmRelease and waits through a status
// that only waits for the chart until the release; then updates it and
// sees the failure.
func testCreateHelmRelease(t *testing.T, p *statusPlane) {
	ns := p.newNamespace(t, "createhr")
	key := types.NamespacedName{Namespace: ns, Name: "podinfo"}
	p.standIn(t, helmReleases, key,
		ready(metav1.ConditionFalse, helmv2.HelmChartNotReadyReason, "HelmChart '"+ns+"/"+ns+"-podinfo' is not ready"),
		steps(released("6.0.3"), ready(metav1.ConditionTrue, helmv2.InstallSucceededReason, "Helm install succeeded for release "+ns+"/podinfo.v1 with chart podinfo@6.0.3")))

	_, stderr, code := p.ferry(t, "-n", ns, "create", "hr", "podinfo", "--source=HelmRepository/podinfo", "--chart=podinfo", "--chart-version=6.0.x")
	if code != 0 {
		t.Fatalf("create helmrelease exited %d: %s", code, stderr)
	}
	mustContain(t, "create output", stderr,
		"► applying HelmRelease podinfo in "+ns+" namespace",
		"✔ HelmRelease created",
		"◎ waiting for HelmRelease reconciliation",
		"✔ HelmRelease reconciliation completed",
		"✔ applied revision 6.0.3")

	failing := types.NamespacedName{Namespace: ns, Name: "failing"}
	p.create(t, testHelmRelease(ns, "failing", "podinfo"))
	p.standIn(t, helmReleases, failing, ready(metav1.ConditionFalse, helmv2.InstallFailedReason, "Helm install failed for release "+ns+"/failing with chart podinfo@6.0.3: values don't meet the specifications of the schema"))
	_, stderr, code = p.ferry(t, "-n", ns, "create", "hr", "failing", "--source=HelmRepository/podinfo", "--chart=podinfo", "--target-namespace=podinfo")
	if code != 1 {
		t.Fatalf("create of a failing HelmRelease exited %d, want 1: %s", code, stderr)
	}
	mustContain(t, "failed update output", stderr, "✔ HelmRelease updated", "✗ HelmRelease reconciliation failed: Helm install failed")
	hr := &helmv2.HelmRelease{}
	if err := p.client.Get(context.Background(), failing, hr); err != nil {
		t.Fatal(err)
	}
	if hr.Spec.TargetNamespace != "podinfo" || hr.Spec.Chart.Spec.Version != "*" || hr.Spec.Interval.Duration.String() != "1m0s" {
		t.Errorf("spec after update = %+v", hr.Spec)
	}
}
