package cli

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ferrycd/ferry/internal/helm/helmtest"
)

// appChart has a ConfigMap of the values, another ConfigMap and a Secret
// with a token from values.yaml.
var appChart = helmtest.Chart{
	Name: "app", Version: "1.0.0",
	Values: "greeting: hello\ntoken: first-token-value\n",
	Templates: map[string]string{
		"settings.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-settings
data:
  greeting: {{ .Values.greeting | quote }}
`,
		"extra.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-extra
data:
  extra: "yes"
`,
		"secret.yaml": `apiVersion: v1
kind: Secret
metadata:
  name: {{ .Release.Name }}-token
stringData:
  token: {{ .Values.token | quote }}
`,
	},
}

const appHelmRelease = `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: app
spec:
  interval: 1h
  chartRef:
    kind: HelmChart
    name: app
  valuesFrom:
  - kind: ConfigMap
    name: app-values
`

// TestDiffHelmRelease lets the controller install a release, then diffs
// the next upgrade against the cluster: nothing while nothing changed; a
// drift once the values ConfigMap changes (the controller does not watch
// it); and, with a new chart from --chart-archive, a Secret drift that
// shows no value and an object of the release that would be deleted.
func TestDiffHelmRelease(t *testing.T) {
	ns := env.NewNamespace(t, "hrdiff")
	ctx := context.Background()
	values := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "app-values", Namespace: ns},
		Data: map[string]string{"values.yaml": "greeting: one\n"}}
	if err := env.Client.Create(ctx, values); err != nil {
		t.Fatal(err)
	}
	publishChart(t, ns, "app", appChart)
	createHelmRelease(t, ns, appHelmRelease)
	waitReleased(t, ns, "app")

	stdout, stderr, code := ferry(t, "-n", ns, "diff", "helmrelease", "app")
	if code != 0 || stdout != "" {
		t.Fatalf("diff of the installed release exited %d, want 0:\n%s%s", code, stdout, stderr)
	}
	mustContain(t, "stderr", stderr, "✔ no changes")

	values.Data["values.yaml"] = "greeting: two\n"
	if err := env.Client.Update(ctx, values); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code = ferry(t, "-n", ns, "diff", "hr", "app")
	if code != 1 {
		t.Fatalf("diff after a values change exited %d, want 1:\n%s%s", code, stdout, stderr)
	}
	if stderr != "" {
		t.Errorf("stderr = %q, want nothing", stderr)
	}
	golden(t, "diff_helmrelease.golden", []byte(strings.ReplaceAll(stdout, ns, "NAMESPACE")))

	next := appChart
	next.Version = "1.1.0"
	next.Values = "greeting: hello\ntoken: second-token-value\n"
	next.Templates = map[string]string{"settings.yaml": appChart.Templates["settings.yaml"], "secret.yaml": appChart.Templates["secret.yaml"]}
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{next.FileName(): string(next.Package(t))})
	stdout, stderr, code = ferry(t, "-n", ns, "diff", "hr", "app", "--chart-archive", filepath.Join(dir, next.FileName()))
	if code != 1 {
		t.Fatalf("diff with a new chart exited %d, want 1:\n%s%s", code, stdout, stderr)
	}
	mustContain(t, "diff with a new chart", stdout,
		"► ConfigMap/"+ns+"/app-settings drifted", "+  greeting: two",
		"► Secret/"+ns+"/app-token drifted", "*** (before)", "*** (after)",
		"► ConfigMap/"+ns+"/app-extra deleted")
	for _, secret := range []string{"first-token-value", "second-token-value", "Zmlyc3QtdG9rZW4", "c2Vjb25kLXRva2Vu"} {
		if strings.Contains(stdout, secret) {
			t.Errorf("diff reveals %q:\n%s", secret, stdout)
		}
	}

	// An object the API server rejects is an error, exit code 2.
	bad := appChart
	bad.Templates = map[string]string{"bad.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: Not_Valid\n"}
	writeTree(t, dir, map[string]string{"bad.tgz": string(bad.Package(t))})
	_, stderr, code = ferry(t, "-n", ns, "diff", "hr", "app", "--chart-archive", filepath.Join(dir, "bad.tgz"))
	if code != 2 {
		t.Fatalf("diff of an invalid object exited %d, want 2: %s", code, stderr)
	}
	mustContain(t, "stderr", stderr, "ConfigMap/"+ns+"/Not_Valid")
}
