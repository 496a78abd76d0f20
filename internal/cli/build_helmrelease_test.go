package cli

import (
	"bytes"
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	helmv2 "github.com/ferrycd/ferry/api/helm/v2"
	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/artifact"
	"github.com/ferrycd/ferry/internal/helm/helmtest"
	"github.com/ferrycd/ferry/internal/testenv"
)

// publishChart stores c as the artifact of the HelmChart ns/name (created
// when missing) in the manager's storage and marks it Ready at its
// generation, as the HelmChart controller would. The HelmChart is
// suspended, so that no controller replaces that status.
func publishChart(t *testing.T, ns, name string, c helmtest.Chart) *sourcev1.HelmChart {
	t.Helper()
	ctx := context.Background()
	hc := &sourcev1.HelmChart{}
	if err := env.Client.Get(ctx, testenv.Key(ns, name), hc); err != nil {
		hc = &sourcev1.HelmChart{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
			Spec: sourcev1.HelmChartSpec{
				Chart: c.Name, Version: "*", Suspend: true, Interval: metav1.Duration{Duration: time.Hour},
				SourceRef: sourcev1.LocalHelmChartSourceReference{Kind: sourcev1.HelmRepositoryKind, Name: "charts"},
			},
		}
		if err := env.Client.Create(ctx, hc); err != nil {
			t.Fatal(err)
		}
	}
	art, err := env.Storage.StoreFile(sourcev1.HelmChartKind, ns, name, c.Version, c.FileName(), bytes.NewReader(c.Package(t)))
	if err != nil {
		t.Fatal(err)
	}
	setChartStatus(t, hc, art, c.Name)
	return hc
}

// setChartStatus gives hc the artifact art and a Ready condition, reading
// it again on a conflict (the HelmChart controller adds its finalizer
// before it sees the HelmChart is suspended).
func setChartStatus(t *testing.T, hc *sourcev1.HelmChart, art *meta.Artifact, chart string) {
	t.Helper()
	ctx := context.Background()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if err := env.Client.Get(ctx, client.ObjectKeyFromObject(hc), hc); err != nil {
			return err
		}
		hc.Status.Artifact = art
		hc.Status.ObservedGeneration = hc.Generation
		hc.Status.ObservedChartName = chart
		apimeta.SetStatusCondition(&hc.Status.Conditions, metav1.Condition{
			Type: meta.ReadyCondition, Status: metav1.ConditionTrue, Reason: sourcev1.ChartPullSucceededReason,
			Message: "pulled '" + chart + "' chart with version '" + art.Revision + "'", ObservedGeneration: hc.Generation,
		})
		return env.Client.Status().Update(ctx, hc)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// createHelmRelease creates the HelmRelease of a YAML document, in ns.
func createHelmRelease(t *testing.T, ns, doc string) *helmv2.HelmRelease {
	t.Helper()
	hr := &helmv2.HelmRelease{}
	if err := yaml.UnmarshalStrict([]byte(doc), hr); err != nil {
		t.Fatal(err)
	}
	hr.Namespace = ns
	if err := env.Client.Create(context.Background(), hr); err != nil {
		t.Fatal(err)
	}
	return hr
}

// waitReleased waits until the controller has installed or upgraded the
// HelmRelease ns/name at its generation.
func waitReleased(t *testing.T, ns, name string) *helmv2.HelmRelease {
	t.Helper()
	return testenv.WaitFor(t, env.Client, testenv.Key(ns, name), "HelmRelease "+name+" to be released", func(hr *helmv2.HelmRelease) bool {
		c := apimeta.FindStatusCondition(hr.Status.Conditions, meta.ReadyCondition)
		return c != nil && c.Status == metav1.ConditionTrue && c.ObservedGeneration == hr.Generation && hr.Status.Inventory != nil
	})
}

// webChart renders its values into a ConfigMap, and a password into a
// Secret and, as a connection string, into the ConfigMap.
var webChart = helmtest.Chart{
	Name: "web", Version: "1.0.0",
	Values: "greeting: hello\nreplicas: 1\ncolor: blue\npassword: changeme\n",
	Templates: map[string]string{
		"configmap.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-settings
  namespace: {{ .Release.Namespace }}
data:
  greeting: {{ .Values.greeting | quote }}
  replicas: {{ .Values.replicas | quote }}
  color: {{ .Values.color | quote }}
  dsn: "postgres://app:{{ .Values.password }}@db:5432/app"
  kube: {{ .Capabilities.KubeVersion.Version | quote }}
  upgrade: {{ .Release.IsUpgrade | quote }}
`,
		"secret.yaml": `apiVersion: v1
kind: Secret
metadata:
  name: {{ .Release.Name }}-credentials
  namespace: {{ .Release.Namespace }}
data:
  password: {{ .Values.password | b64enc }}
`,
	},
}

const webHelmRelease = `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: web
spec:
  interval: 1h
  suspend: true
  chartRef:
    kind: HelmChart
    name: web
  valuesFrom:
  - kind: ConfigMap
    name: web-values
  - kind: Secret
    name: web-secrets
  values:
    greeting: hello from spec.values
  commonMetadata:
    labels:
      team: web
`

// TestBuildHelmRelease renders a HelmRelease with its chart from the
// HelmChart's artifact and values from a ConfigMap, a Secret and
// spec.values, for the cluster's Kubernetes version. The password read
// from the Secret is masked wherever it appears.
func TestBuildHelmRelease(t *testing.T) {
	ns := env.NewNamespace(t, "hrbuild")
	ctx := context.Background()
	for _, obj := range []client.Object{
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "web-values", Namespace: ns},
			Data: map[string]string{"values.yaml": "greeting: from the ConfigMap\nreplicas: 3\n"}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "web-secrets", Namespace: ns},
			StringData: map[string]string{"values.yaml": "password: s3cr3t-helm-pass\n"}},
	} {
		if err := env.Client.Create(ctx, obj); err != nil {
			t.Fatal(err)
		}
	}
	publishChart(t, ns, "web", webChart)
	createHelmRelease(t, ns, webHelmRelease)

	stdout, stderr, code := ferry(t, "-n", ns, "build", "helmrelease", "web")
	if code != 0 {
		t.Fatalf("build exited %d: %s", code, stderr)
	}
	for _, secret := range []string{"s3cr3t-helm-pass", base64.StdEncoding.EncodeToString([]byte("s3cr3t-helm-pass"))} {
		if strings.Contains(stdout+stderr, secret) {
			t.Errorf("build output reveals %q:\n%s", secret, stdout)
		}
	}
	// The templates see the cluster's version, not Helm's default.
	dc, err := discovery.NewDiscoveryClientForConfig(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	version, err := dc.ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, "build output", stdout, `kube: `+version.GitVersion)
	normalized := strings.ReplaceAll(strings.ReplaceAll(stdout, ns, "NAMESPACE"), version.GitVersion, "KUBE_VERSION")
	golden(t, "build_helmrelease.golden", []byte(normalized))

	// The output is valid Kubernetes YAML: the API server accepts every
	// object in a server-side dry run.
	for _, doc := range strings.Split(stdout, "---\n") {
		if strings.TrimSpace(doc) == "" {
			continue
		}
		obj := &unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(doc), &obj.Object); err != nil {
			t.Fatalf("build output is not YAML: %v\n%s", err, doc)
		}
		if err := env.Client.Patch(ctx, obj, client.Apply, client.DryRunAll, client.FieldOwner("ferry-test"), client.ForceOwnership); err != nil {
			t.Errorf("the API server refuses %s/%s from the build output: %v", obj.GetKind(), obj.GetName(), err)
		}
	}

	// --values files take the place of valuesFrom; spec.values still wins.
	values := filepath.Join(t.TempDir(), "values.yaml")
	if err := os.WriteFile(values, []byte("greeting: from the file\ncolor: green\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code = ferry(t, "-n", ns, "build", "hr", "web", "--values", values)
	if code != 0 {
		t.Fatalf("build --values exited %d: %s", code, stderr)
	}
	mustContain(t, "build --values", stdout, `color: green`, `greeting: hello from spec.values`, `replicas: "1"`, "dsn: postgres://app:changeme@db:5432/app")
	mustContain(t, "stderr", stderr, "spec.valuesFrom of HelmRelease '"+ns+"/web' is not read: the --values files take its place")

	// A missing values Secret is an error naming it.
	if err := env.Client.Delete(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "web-secrets", Namespace: ns}}); err != nil {
		t.Fatal(err)
	}
	_, stderr, code = ferry(t, "-n", ns, "build", "hr", "web")
	if code != 1 {
		t.Fatalf("build without the values Secret exited %d, want 1", code)
	}
	mustContain(t, "stderr", stderr, "could not find Secret '"+ns+"/web-secrets'")
}

// TestBuildHelmReleaseOffline renders without a cluster: the HelmRelease
// from a file, the chart from an archive or a directory, values from
// --values files under spec.values.
func TestBuildHelmReleaseOffline(t *testing.T) {
	dir := t.TempDir()
	archive := filepath.Join(dir, webChart.FileName())
	writeTree(t, dir, map[string]string{
		webChart.FileName(): string(webChart.Package(t)),
		"hr.yaml":           "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: other\nspec:\n  interval: 1h\n---\n" + webHelmRelease,
		"values.yaml":       "replicas: 5\npassword: from-a-file\n",
		"more.yaml":         "color: red\n",
	})
	args := []string{"--kubeconfig", "/nonexistent", "-n", "apps", "build", "hr", "web", "--dry-run",
		"--helmrelease-file", filepath.Join(dir, "hr.yaml"), "--values", filepath.Join(dir, "values.yaml"), "--values", filepath.Join(dir, "more.yaml")}
	stdout, stderr, code := ferry(t, append(args, "--chart-archive", archive)...)
	if code != 0 {
		t.Fatalf("build --dry-run exited %d: %s", code, stderr)
	}
	golden(t, "build_helmrelease_dry_run.golden", []byte(stdout))
	mustContain(t, "stderr", stderr, "spec.valuesFrom of HelmRelease 'apps/web' is not read")

	// The same chart unpacked renders the same.
	f, err := os.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := artifact.Untar(f, filepath.Join(dir, "charts"), artifact.UntarOptions{}); err != nil {
		t.Fatal(err)
	}
	fromDir, stderr, code := ferry(t, append(args, "--chart-dir", filepath.Join(dir, "charts", "web"))...)
	if code != 0 {
		t.Fatalf("build --chart-dir exited %d: %s", code, stderr)
	}
	if fromDir != stdout {
		t.Errorf("--chart-dir renders\n%s\n--chart-archive renders\n%s", fromDir, stdout)
	}
}

func TestBuildHelmReleaseRefusals(t *testing.T) {
	ns := env.NewNamespace(t, "hrbuildno")
	// A HelmChart whose artifact is served where nothing listens: the
	// storage of a controller the CLI cannot reach.
	hc := publishChart(t, ns, "unreachable", webChart)
	art := hc.Status.Artifact.DeepCopy()
	art.URL = "http://127.0.0.1:1/helmchart/" + ns + "/unreachable/chart.tgz"
	setChartStatus(t, hc, art, "web")
	for _, name := range []string{"unreachable", "missing"} {
		createHelmRelease(t, ns, strings.NewReplacer("name: web\n", "name: "+name+"\n", "  valuesFrom:\n  - kind: ConfigMap\n    name: web-values\n  - kind: Secret\n    name: web-secrets\n", "").Replace(webHelmRelease))
	}
	file := filepath.Join(t.TempDir(), "hr.yaml")
	writeTree(t, filepath.Dir(file), map[string]string{"hr.yaml": webHelmRelease})
	tests := map[string]struct {
		args []string
		want string
	}{
		"not in cluster":        {[]string{"nope"}, "HelmRelease '" + ns + "/nope' not found"},
		"both charts":           {[]string{"web", "--chart-dir=x", "--chart-archive=y"}, "mutually exclusive"},
		"dry run, no file":      {[]string{"web", "--dry-run", "--chart-archive=y"}, "--dry-run needs --helmrelease-file"},
		"dry run, no chart":     {[]string{"web", "--dry-run", "--helmrelease-file=" + file}, "--dry-run needs --chart-dir or --chart-archive"},
		"name not in file":      {[]string{"api", "--dry-run", "--helmrelease-file=" + file, "--chart-archive=y"}, `has no HelmRelease named "api" (found web)`},
		"missing archive":       {[]string{"web", "--dry-run", "--helmrelease-file=" + file, "--chart-archive=nope.tgz"}, "--chart-archive"},
		"file, no cluster":      {[]string{"web", "--kubeconfig=/nonexistent", "--helmrelease-file=" + file}, "add --dry-run and --chart-dir or --chart-archive"},
		"storage not reachable": {[]string{"unreachable"}, "may not be reachable from here: give the chart with --chart-dir DIR or --chart-archive FILE"},
		"no HelmChart":          {[]string{"missing"}, "HelmChart '" + ns + "/missing' of HelmRelease '" + ns + "/missing' not found"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, stderr, code := ferry(t, append([]string{"-n", ns, "build", "helmrelease"}, tt.args...)...)
			if code == 0 {
				t.Fatal("exit code 0, want failure")
			}
			mustContain(t, "stderr", stderr, tt.want)
		})
	}
}
