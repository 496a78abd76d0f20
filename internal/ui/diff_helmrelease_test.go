package ui_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"helm.sh/helm/v4/pkg/chart/v2/loader"

	helmv2 "github.com/ferrycd/ferry/api/helm/v2"
	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/artifact"
	"github.com/ferrycd/ferry/internal/helm/helmtest"
	"github.com/ferrycd/ferry/internal/helm/release"
	"github.com/ferrycd/ferry/internal/ui"
)

// The secrets of the HelmRelease diff test, none of which may reach a page.
const (
	chartToken     = "chart-token-value"
	clusterToken   = "cluster-token-value"
	helmDBPassword = "helm-db-s3cret"
)

// webChart renders a ConfigMap of its values, one with a connection
// string holding the password (read from a Secret by valuesFrom), a Secret
// with the token, and, with extra, one more ConfigMap.
var webChart = helmtest.Chart{
	Name: "web", Version: "1.0.0",
	Values: "greeting: hello\ntoken: " + chartToken + "\npassword: changeme\nextra: false\n",
	Templates: map[string]string{
		"settings.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-settings
data:
  greeting: {{ .Values.greeting | quote }}
  dsn: "postgres://app:{{ .Values.password }}@db:5432/app"
`,
		"secret.yaml": `apiVersion: v1
kind: Secret
metadata:
  name: {{ .Release.Name }}-token
stringData:
  token: {{ .Values.token | quote }}
`,
		"extra.yaml": `{{- if .Values.extra }}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-extra
{{- end }}
`,
	},
}

// helmDiffUI serves a UI that reads artifacts from storage and renders
// charts with the API server's capabilities, as the controller's does.
func helmDiffUI(t *testing.T, storage *artifact.Storage, actions func(*http.Request) (client.Client, string, error)) *testUI {
	t.Helper()
	cluster, err := release.NewCluster(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	return newUIWith(t, ui.Options{Actions: actions, Artifacts: storedArtifacts(t, storage), Capabilities: cluster.Capabilities})
}

// helmChartWithArtifact creates the HelmChart ns/name whose status holds
// the packaged c, stored in storage, and returns it.
func helmChartWithArtifact(t *testing.T, storage *artifact.Storage, ns, name string, c helmtest.Chart) *meta.Artifact {
	t.Helper()
	ctx := context.Background()
	hc := &sourcev1.HelmChart{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: sourcev1.HelmChartSpec{
			Chart: c.Name, Version: "*", Interval: metav1.Duration{Duration: time.Hour},
			SourceRef: sourcev1.LocalHelmChartSourceReference{Kind: sourcev1.HelmRepositoryKind, Name: "charts"},
		},
	}
	if err := env.Client.Create(ctx, hc); err != nil {
		t.Fatal(err)
	}
	art, err := storage.StoreFile(sourcev1.HelmChartKind, ns, name, c.Version, c.FileName(), bytes.NewReader(c.Package(t)))
	if err != nil {
		t.Fatal(err)
	}
	hc.Status.Artifact = art
	hc.Status.ObservedGeneration = hc.Generation
	hc.Status.ObservedChartName = c.Name
	hc.Status.Conditions = []metav1.Condition{condition(meta.ReadyCondition, metav1.ConditionTrue, sourcev1.ChartPullSucceededReason, "pulled '"+c.Name+"' chart with version '"+c.Version+"'")}
	if err := env.Client.Status().Update(ctx, hc); err != nil {
		t.Fatal(err)
	}
	return art
}

// webHelmRelease creates the HelmRelease ns/web of the HelmChart "web",
// its values from the ConfigMap web-values and the Secret web-secrets.
func webHelmRelease(t *testing.T, ns string) *helmv2.HelmRelease {
	t.Helper()
	ctx := context.Background()
	for _, obj := range []client.Object{
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "web-values"}, Data: map[string]string{"values.yaml": "greeting: from-configmap\n"}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "web-secrets"}, StringData: map[string]string{"values.yaml": "password: " + helmDBPassword + "\n"}},
	} {
		if err := env.Client.Create(ctx, obj); err != nil {
			t.Fatal(err)
		}
	}
	hr := &helmv2.HelmRelease{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "web"},
		Spec: helmv2.HelmReleaseSpec{
			Interval: metav1.Duration{Duration: time.Hour},
			ChartRef: &helmv2.CrossNamespaceSourceReference{Kind: sourcev1.HelmChartKind, Name: "web"},
			ValuesFrom: []helmv2.ValuesReference{
				{Kind: "ConfigMap", Name: "web-values"},
				{Kind: "Secret", Name: "web-secrets"},
			},
		},
	}
	if err := env.Client.Create(ctx, hr); err != nil {
		t.Fatal(err)
	}
	return hr
}

// TestDiffHelmRelease diffs a HelmRelease with the cluster from its
// HelmChart's artifact: before it is installed every object would be
// created; once installed with Helm as the controller installs it, there
// are no changes; after the ConfigMap and the Secret are changed in the
// cluster both drift, shown as unified diffs, the Secret's values and the
// value taken from a Secret by valuesFrom masked; after an upgrade that
// added an object the chart does not render with the HelmRelease's
// values, that object would be deleted. A user who may not dry-run gets
// a 403, and ferry ui, without artifacts, a 501.
func TestDiffHelmRelease(t *testing.T) {
	ctx := context.Background()
	release.SetFieldManager()
	ns := env.NewNamespace(t, "hrdiff")
	storage := newStorage(t)
	art := helmChartWithArtifact(t, storage, ns, "web", webChart)
	hr := webHelmRelease(t, ns)
	srv := helmDiffUI(t, storage, asAdmin)
	page := "/o/HelmRelease/" + ns + "/web"
	noSecrets := func(what, body string) {
		t.Helper()
		for _, secret := range []string{chartToken, clusterToken, helmDBPassword} {
			if strings.Contains(body, secret) || strings.Contains(body, base64.StdEncoding.EncodeToString([]byte(secret))) {
				t.Errorf("%s shows %q:\n%s", what, secret, body)
			}
		}
	}

	// The object page links to the diff and does not compute it.
	_, body := get(t, srv, page)
	mustContain(t, "the HelmRelease's page", body, `href="`+page+`/diff"`, "Diff with the cluster")

	// Not installed yet: everything would be created.
	resp, body := get(t, srv, page+"/diff")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET diff = %d:\n%s", resp.StatusCode, body)
	}
	mustContain(t, "the first diff", body, `<span class="kind">HelmRelease</span>`, art.Digest, "<code>1.0.0</code>",
		`<a href="/o/HelmChart/`+ns+`/web">`, "install of release "+ns+"/web",
		"2 objects would change: 2 created, 0 drifted, 0 deleted by the upgrade",
		"<code>ConfigMap/"+ns+"/web-settings</code>", "<code>Secret/"+ns+"/web-token</code>", "as <strong>alice</strong>")
	noSecrets("the first diff", body)

	// Install it with Helm as the controller does.
	cluster, err := release.NewCluster(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := cluster.Configuration(ctx, release.Target{Namespace: ns, StorageNamespace: ns})
	if err != nil {
		t.Fatal(err)
	}
	runner := &release.Runner{Config: cfg, Cluster: cluster, Release: hr}
	values, err := release.ComposeValues(ctx, env.Client, hr)
	if err != nil {
		t.Fatal(err)
	}
	ch, err := loader.LoadArchive(bytes.NewReader(webChart.Package(t)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := runner.Install(ctx, ch, values); err != nil {
		t.Fatal(err)
	}

	_, body = get(t, srv, page+"/diff")
	mustContain(t, "the diff of the installed release", body, "No changes: the cluster matches revision <code>1.0.0</code>",
		"upgrade of release "+ns+"/web, replacing version 1")
	if strings.Contains(body, "objects would change") {
		t.Errorf("the diff in sync lists changes:\n%s", body)
	}

	// Change the cluster.
	cm := &corev1.ConfigMap{}
	if err := env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "web-settings"}, cm); err != nil {
		t.Fatal(err)
	}
	cm.Data["greeting"] = "changed-in-cluster"
	if err := env.Client.Update(ctx, cm); err != nil {
		t.Fatal(err)
	}
	secret := &corev1.Secret{}
	if err := env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "web-token"}, secret); err != nil {
		t.Fatal(err)
	}
	secret.Data["token"] = []byte(clusterToken)
	if err := env.Client.Update(ctx, secret); err != nil {
		t.Fatal(err)
	}

	_, body = get(t, srv, page+"/diff")
	mustContain(t, "the diff of a drift", body, "2 objects would change: 0 created, 2 drifted, 0 deleted",
		"<code>ConfigMap/"+ns+"/web-settings</code>", `<span class="diff-del">-  greeting: changed-in-cluster</span>`, `<span class="diff-add">&#43;  greeting: from-configmap</span>`,
		"dsn: postgres://app:***@db:5432/app",
		"<code>Secret/"+ns+"/web-token</code>", `token: &#39;*** (before)&#39;`, `token: &#39;*** (after)&#39;`)
	noSecrets("the diff of a drift", body)

	// Upgrade with an object the HelmRelease's values do not render: the
	// next upgrade would delete it.
	withExtra := release.MergeMaps(values, map[string]any{"extra": true})
	if _, err := runner.Upgrade(ctx, ch, withExtra); err != nil {
		t.Fatal(err)
	}
	_, body = get(t, srv, page+"/diff")
	mustContain(t, "the diff after an upgrade", body, "replacing version 2", "1 deleted by the upgrade",
		"change-deleted", "<code>ConfigMap/"+ns+"/web-extra</code>")
	noSecrets("the diff after an upgrade", body)

	// A user who may read the chart, the values and Helm's storage but
	// not dry-run the objects: the API server's refusal, with a 403.
	reader := restrictedUser(t, ns, "reader", []rbacv1.PolicyRule{
		{APIGroups: []string{sourcev1.GroupVersion.Group}, Resources: []string{"helmcharts"}, Verbs: []string{"get"}},
		{APIGroups: []string{""}, Resources: []string{"configmaps", "secrets"}, Verbs: []string{"get", "list"}},
	}...)
	refused := helmDiffUI(t, storage, func(*http.Request) (client.Client, string, error) { return reader, "reader", nil })
	resp, body = get(t, refused, page+"/diff")
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("the diff as reader = %d, want 403:\n%s", resp.StatusCode, body)
	}
	mustContain(t, "the diff as reader", body, "forbidden", "system:serviceaccount:"+ns+":reader")
	noSecrets("the diff as reader", body)

	// ferry ui has no storage: the page says where to diff.
	resp, body = get(t, newUI(t, asAdmin), page+"/diff")
	if resp.StatusCode != http.StatusNotImplemented {
		t.Errorf("the diff without storage = %d, want 501", resp.StatusCode)
	}
	mustContain(t, "the diff without storage", body, "ferry controller --ui-address", "ferry dev")
}

// TestDiffHelmReleaseShowsRenderErrors shows why the next reconciliation
// would fail instead of a diff: a chart that fails to render, its message
// with the value from a Secret masked, and a HelmChart that does not
// exist.
func TestDiffHelmReleaseShowsRenderErrors(t *testing.T) {
	ns := env.NewNamespace(t, "hrdiff-fail")
	storage := newStorage(t)
	failing := webChart
	failing.Templates = map[string]string{"fail.yaml": `{{ fail (printf "cannot reach the database with %s" .Values.password) }}`}
	helmChartWithArtifact(t, storage, ns, "web", failing)
	webHelmRelease(t, ns)
	srv := helmDiffUI(t, storage, asAdmin)

	resp, body := get(t, srv, "/o/HelmRelease/"+ns+"/web/diff")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET diff = %d:\n%s", resp.StatusCode, body)
	}
	mustContain(t, "the diff of a failing chart", body, "The next reconciliation would fail", "HelmRelease &#39;"+ns+"/web&#39;",
		"cannot reach the database with ***")
	if strings.Contains(body, helmDBPassword) || strings.Contains(body, "No changes") {
		t.Errorf("the diff of a failing chart shows the password or no changes:\n%s", body)
	}

	// A HelmRelease whose HelmChart is not there.
	other := &helmv2.HelmRelease{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "other"},
		Spec: helmv2.HelmReleaseSpec{
			Interval: metav1.Duration{Duration: time.Hour},
			ChartRef: &helmv2.CrossNamespaceSourceReference{Kind: sourcev1.HelmChartKind, Name: "missing"},
		},
	}
	if err := env.Client.Create(context.Background(), other); err != nil {
		t.Fatal(err)
	}
	_, body = get(t, srv, "/o/HelmRelease/"+ns+"/other/diff")
	mustContain(t, "the diff of a missing chart", body, "Cannot diff", "HelmChart &#39;"+ns+"/missing&#39; of HelmRelease &#39;"+ns+"/other&#39; not found")
}
