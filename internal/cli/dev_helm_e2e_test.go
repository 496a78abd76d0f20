package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	releasev1 "helm.sh/helm/v4/pkg/release/v1"
	"helm.sh/helm/v4/pkg/storage/driver"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	helmv2 "github.com/ferrycd/ferry/api/helm/v2"
	"github.com/ferrycd/ferry/api/meta"
	"github.com/ferrycd/ferry/internal/gitserver"
	"github.com/ferrycd/ferry/internal/scheme"
	"github.com/ferrycd/ferry/internal/testenv"
)

// exampleOverlay is what one overlay of examples/apps gives the greeter
// HelmRelease and the plain web app.
type exampleOverlay struct {
	env          string
	replicas     int32 // of greeter and of web
	logLevel     string
	requestsCPU  string
	requestsMem  string
	limitsCPU    string // "" for none
	limitsMemory string
}

var exampleOverlays = []exampleOverlay{
	{env: "development", replicas: 1, logLevel: "debug", requestsCPU: "50m", requestsMem: "64Mi", limitsMemory: "128Mi"},
	{env: "staging", replicas: 2, logLevel: "info", requestsCPU: "100m", requestsMem: "128Mi", limitsMemory: "256Mi"},
	{env: "production", replicas: 3, logLevel: "warn", requestsCPU: "250m", requestsMem: "256Mi", limitsCPU: "500m", limitsMemory: "512Mi"},
}

// resources returns the overlay's container resources.
func (o exampleOverlay) resources() corev1.ResourceRequirements {
	r := corev1.ResourceRequirements{
		Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(o.requestsCPU), corev1.ResourceMemory: resource.MustParse(o.requestsMem)},
		Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse(o.limitsMemory)},
	}
	if o.limitsCPU != "" {
		r.Limits[corev1.ResourceCPU] = resource.MustParse(o.limitsCPU)
	}
	return r
}

// values returns the values Helm's storage should hold for the release:
// the HelmRelease's values as the overlay patched them, with token.
func (o exampleOverlay) values(replicas int32, token string) map[string]any {
	limits := map[string]any{"memory": o.limitsMemory}
	if o.limitsCPU != "" {
		limits["cpu"] = o.limitsCPU
	}
	return map[string]any{
		"image":        map[string]any{"pullPolicy": "IfNotPresent"},
		"logLevel":     o.logLevel,
		"replicaCount": float64(replicas),
		"resources": map[string]any{
			"requests": map[string]any{"cpu": o.requestsCPU, "memory": o.requestsMem},
			"limits":   limits,
		},
		"token": token,
	}
}

// TestDevInstallsTheExampleHelmRelease runs the README's command on a copy
// of examples/ with each overlay (`--path apps/<env>`), as seed 000 lays a
// repository out: ferry dev pushes examples/charts/greeter to its loopback
// registry, the overlay's Kustomization applies the HelmRepository (type
// oci, url oci://${FERRY_DEV_REGISTRY}/charts) and the HelmRelease with the
// overlay's values patched in, and the HelmRelease becomes Ready. The
// rendered Deployment, ConfigMap and token Secret carry that overlay's
// values, as does the release in Helm's storage (what `helm get values`
// prints), and the plain web app is still there. On development, a commit
// that changes the values and bumps the chart, with a token in the Secret
// ferry-dev-vars, is pushed again by ferry dev and upgrades the release.
func TestDevInstallsTheExampleHelmRelease(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a simulated cluster")
	}
	for _, ov := range exampleOverlays {
		t.Run(ov.env, func(t *testing.T) {
			// A checkout of its own: development commits to it.
			work := t.TempDir()
			repo, err := gitserver.InitRepo(work, "main")
			if err != nil {
				t.Fatal(err)
			}
			if err := copyTree(filepath.Join("..", "..", "examples"), filepath.Join(work, "examples")); err != nil {
				t.Fatal(err)
			}
			if _, err := repo.Commit("add the example"); err != nil {
				t.Fatal(err)
			}
			state := filepath.Join(t.TempDir(), "state")
			ctx, stop := context.WithCancel(context.Background())
			defer stop()
			var out, errOut testenv.Buffer
			done := make(chan int, 1)
			go func() {
				done <- Main(ctx, []string{"dev", "--sync", filepath.Join(work, "examples"), "--path", "apps/" + ov.env, "--state-dir", state,
					"--receiver-address", "127.0.0.1:0", "--ui-address", "127.0.0.1:0"}, &out, &errOut)
			}()
			waitForOutput(t, &errOut, done, "ferry dev is ready", 30*time.Minute)
			mustContain(t, "ferry dev output", errOut.String(),
				"✔ chart registry running at oci://127.0.0.1:",
				"✔ pushed chart greeter 1.0.0 from ",
				"charts: oci://127.0.0.1:",
				"/charts (1 chart)",
				"get helmreleases -A")
			checkFirstSyncReport(t, errOut.String(), "flux-system")

			kubeconfig := filepath.Join(state, "kubeconfig")
			cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
			if err != nil {
				t.Fatal(err)
			}
			c, err := client.New(cfg, client.Options{Scheme: scheme.New()})
			if err != nil {
				t.Fatal(err)
			}
			cs, err := kubernetes.NewForConfig(cfg)
			if err != nil {
				t.Fatal(err)
			}
			ns := "web-" + ov.env

			hr := waitHelmReleaseReady(t, c, client.ObjectKey{Namespace: ns, Name: "greeter"}, 1)
			if latest := hr.Status.History.Latest(); latest.ChartVersion != "1.0.0" {
				t.Errorf("HelmRelease history: chart %s, want 1.0.0", latest.ChartVersion)
			}
			checkGreeter(t, c, ns, ov, ov.replicas, "dev-token")
			checkStoredRelease(t, cs, ns, 1, "1.0.0", ov.values(ov.replicas, "dev-token"))
			waitReady(t, c, client.ObjectKey{Namespace: ns, Name: "web"}, ov.replicas)

			// ferry get helmreleases -A lists it as Ready.
			var gout, gerr testenv.Buffer
			if code := Main(context.Background(), []string{"--kubeconfig", kubeconfig, "get", "helmreleases", "-A"}, &gout, &gerr); code != 0 {
				t.Fatalf("get helmreleases exited %d:\n%s", code, gerr.String())
			}
			checkTableRow(t, gout.String(), ns, "greeter", "1.0.0", "True")

			if ov.env == "development" {
				upgradeDevelopment(t, c, cs, repo, work, kubeconfig, &errOut, done, ov)
			}

			// Ctrl-C stops everything.
			stop()
			select {
			case code := <-done:
				if code != 0 {
					t.Fatalf("ferry dev exited %d after Ctrl-C:\n%s", code, errOut.String())
				}
			case <-time.After(2 * time.Minute):
				t.Fatalf("ferry dev did not stop after Ctrl-C:\n%s", errOut.String())
			}
			t.Logf("ferry dev printed:\n%s", errOut.String())
		})
	}
}

// upgradeDevelopment commits two replicas and chart 1.1.0 to the
// development overlay, puts a token in the Secret ferry-dev-vars, and
// checks that ferry dev pushes the new chart when HEAD moves and that
// `reconcile kustomization --with-source` leads to an upgrade with them.
func upgradeDevelopment(t *testing.T, c client.Client, cs kubernetes.Interface, repo *gitserver.Repo, work, kubeconfig string, errOut *testenv.Buffer, done chan int, ov exampleOverlay) {
	t.Helper()
	ctx := context.Background()
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: devVarsSecret, Namespace: defaultNamespace},
		StringData: map[string]string{"EXAMPLE_TOKEN": "token-from-the-secret"},
	}
	if err := c.Create(ctx, secret); err != nil {
		t.Fatal(err)
	}
	examples := filepath.Join(work, "examples")
	edit(t, filepath.Join(examples, "apps", "development", "kustomization.yaml"), "replicaCount: 1", "replicaCount: 2")
	edit(t, filepath.Join(examples, "charts", "greeter", "Chart.yaml"), "version: 1.0.0", "version: 1.1.0")
	edit(t, filepath.Join(examples, "apps", "base", "greeter", "release.yaml"), `version: "1.0.0"`, `version: "1.1.0"`)
	head, err := repo.Commit("development: two greeters, chart 1.1.0")
	if err != nil {
		t.Fatal(err)
	}
	waitForOutput(t, errOut, done, "✔ pushed chart greeter 1.1.0 from ", 2*time.Minute)
	mustContain(t, "ferry dev output", errOut.String(), "(HEAD is now "+head[:7]+")")

	var rout, rerr testenv.Buffer
	rctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	if code := Main(rctx, []string{"--kubeconfig", kubeconfig, "reconcile", "kustomization", "flux-system", "--with-source"}, &rout, &rerr); code != 0 {
		t.Fatalf("reconcile exited %d:\n%s", code, rerr.String())
	}
	mustContain(t, "reconcile output", rerr.String(), "✔ applied revision main@sha1:"+head)

	ns := "web-development"
	hr := waitHelmReleaseReady(t, c, client.ObjectKey{Namespace: ns, Name: "greeter"}, 2)
	if latest := hr.Status.History.Latest(); latest.ChartVersion != "1.1.0" {
		t.Errorf("HelmRelease history: chart %s, want 1.1.0", latest.ChartVersion)
	}
	checkGreeter(t, c, ns, ov, 2, "token-from-the-secret")
	checkStoredRelease(t, cs, ns, 2, "1.1.0", ov.values(2, "token-from-the-secret"))
	t.Logf("reconcile printed:\n%s", rerr.String())
}

// edit replaces old by new in the file at p, once; old must be there.
func edit(t *testing.T, p, old, new string) {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), old) {
		t.Fatalf("%s does not contain %q", p, old)
	}
	if err := os.WriteFile(p, []byte(strings.Replace(string(data), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// waitHelmReleaseReady waits until the HelmRelease is Ready at its current
// generation with release version (Helm's revision) in its history.
func waitHelmReleaseReady(t *testing.T, c client.Client, key client.ObjectKey, version int) *helmv2.HelmRelease {
	t.Helper()
	return testenv.WaitFor(t, c, key, "Ready with release version "+strconv.Itoa(version), func(hr *helmv2.HelmRelease) bool {
		ready := apimeta.FindStatusCondition(hr.Status.Conditions, meta.ReadyCondition)
		latest := hr.Status.History.Latest()
		return ready != nil && ready.Status == metav1.ConditionTrue && ready.ObservedGeneration == hr.Generation &&
			hr.Status.ObservedGeneration == hr.Generation && latest != nil && latest.Version == version
	})
}

// checkGreeter checks the objects the chart rendered in ns: the Deployment
// rolled out with replicas and the overlay's resources, the ConfigMap's log
// level, and the token in the Secret.
func checkGreeter(t *testing.T, c client.Client, ns string, ov exampleOverlay, replicas int32, token string) {
	t.Helper()
	ctx := context.Background()
	waitReady(t, c, client.ObjectKey{Namespace: ns, Name: "greeter"}, replicas)
	var d appsv1.Deployment
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "greeter"}, &d); err != nil {
		t.Fatal(err)
	}
	if got := d.Spec.Template.Spec.Containers[0].Resources; !equality.Semantic.DeepEqual(got, ov.resources()) {
		t.Errorf("Deployment %s/greeter resources %v, want %v", ns, got, ov.resources())
	}
	var cm corev1.ConfigMap
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "greeter-config"}, &cm); err != nil {
		t.Fatal(err)
	}
	if cm.Data["LOG_LEVEL"] != ov.logLevel {
		t.Errorf("ConfigMap %s/greeter-config LOG_LEVEL %q, want %q", ns, cm.Data["LOG_LEVEL"], ov.logLevel)
	}
	var s corev1.Secret
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "greeter-token"}, &s); err != nil {
		t.Fatal(err)
	}
	if got := string(s.Data["token"]); got != token {
		t.Errorf("Secret %s/greeter-token holds token %q, want %q", ns, got, token)
	}
}

// checkStoredRelease reads release version of greeter from Helm's storage
// (the Secret sh.helm.release.v1.greeter.v<version>) with Helm's own
// driver, and checks its chart version, status and the values it was
// installed with, as `helm get values` prints them.
func checkStoredRelease(t *testing.T, cs kubernetes.Interface, ns string, version int, chartVersion string, want map[string]any) {
	t.Helper()
	name := "sh.helm.release.v1.greeter.v" + strconv.Itoa(version)
	r, err := driver.NewSecrets(cs.CoreV1().Secrets(ns)).Get(name)
	if err != nil {
		t.Fatalf("Helm storage %s/%s: %v", ns, name, err)
	}
	rel, ok := r.(*releasev1.Release)
	if !ok {
		t.Fatalf("Helm storage %s/%s holds a %T", ns, name, r)
	}
	if rel.Chart.Metadata.Version != chartVersion || rel.Info.Status != "deployed" {
		t.Errorf("release %s: chart %s status %s, want chart %s deployed", name, rel.Chart.Metadata.Version, rel.Info.Status, chartVersion)
	}
	// Compare through JSON, as Helm stores the values.
	data, err := json.Marshal(rel.Config)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		g, _ := yaml.Marshal(got)
		w, _ := yaml.Marshal(want)
		t.Errorf("release %s values:\n%s\nwant:\n%s", name, g, w)
	}
}

// checkTableRow checks that a `get` table has a row with these cells in
// this order.
func checkTableRow(t *testing.T, table string, cells ...string) {
	t.Helper()
	for _, line := range strings.Split(table, "\n") {
		fields := strings.Fields(line)
		i := 0
		for _, f := range fields {
			if i < len(cells) && f == cells[i] {
				i++
			}
		}
		if i == len(cells) {
			return
		}
	}
	t.Errorf("no row with %q in:\n%s", cells, table)
}
