package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"helm.sh/helm/v4/pkg/chart/v2/loader"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/internal/helm/helmtest"
	"github.com/ferrycd/ferry/internal/helm/release"
	"github.com/ferrycd/ferry/internal/testenv"
)

// treeChart installs a ConfigMap, a Deployment and a (suspended)
// Kustomization.
var treeChart = helmtest.Chart{
	Name: "stack", Version: "1.0.0",
	Templates: map[string]string{
		"configmap.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-settings
data:
  color: blue
`,
		"deployment.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
spec:
  replicas: 0
  selector:
    matchLabels: {app: {{ .Release.Name }}}
  template:
    metadata:
      labels: {app: {{ .Release.Name }}}
    spec:
      containers:
      - name: web
        image: nginx
`,
		"kustomization.yaml": `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: {{ .Release.Name }}-child
spec:
  interval: 1h
  prune: false
  suspend: true
  sourceRef:
    kind: GitRepository
    name: nowhere
`,
	},
}

const stackHelmRelease = `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: stack
spec:
  interval: 1h
  chartRef:
    kind: HelmChart
    name: stack
  install:
    disableWait: true
  upgrade:
    disableWait: true
`

// TestTreeHelmRelease prints the tree of a release the controller
// installed, from status.inventory, descending into the Kustomization it
// installed; then that of a release whose HelmRelease has no inventory,
// from Helm's storage.
func TestTreeHelmRelease(t *testing.T) {
	ns := env.NewNamespace(t, "hrtree")
	ctx := context.Background()
	publishChart(t, ns, "stack", treeChart)
	createHelmRelease(t, ns, stackHelmRelease)
	waitReleased(t, ns, "stack")

	// The child Kustomization is suspended: write the inventory its
	// controller would.
	child := &kustomizev1.Kustomization{}
	if err := env.Client.Get(ctx, testenv.Key(ns, "stack-child"), child); err != nil {
		t.Fatal(err)
	}
	child.Status.Inventory = &kustomizev1.ResourceInventory{Entries: []kustomizev1.ResourceRef{{ID: ns + "_child-settings__ConfigMap", Version: "v1"}}}
	if err := env.Client.Status().Update(ctx, child); err != nil {
		t.Fatal(err)
	}

	stdout, stderr, code := ferry(t, "-n", ns, "tree", "helmrelease", "stack")
	if code != 0 {
		t.Fatalf("tree exited %d: %s", code, stderr)
	}
	golden(t, "tree_helmrelease.golden", []byte(strings.ReplaceAll(stdout, ns, "NAMESPACE")))

	stdout, _, _ = ferry(t, "-n", ns, "tree", "hr", "stack", "--compact", "-o", "json")
	mustContain(t, "tree --compact -o json", stdout, `"Kind": "HelmRelease"`, `"Kind": "Kustomization"`, `"Name": "stack-child"`)
	if strings.Contains(stdout, "Deployment") {
		t.Errorf("tree --compact lists a Deployment:\n%s", stdout)
	}

	// A release installed (here by the test, as the controller would) for
	// a HelmRelease whose status has no inventory: the tree is that of
	// the manifest in Helm's storage.
	hr := createHelmRelease(t, ns, strings.NewReplacer("name: stack\n", "name: other\n", "  interval: 1h\n", "  interval: 1h\n  suspend: true\n").Replace(stackHelmRelease))
	ch, err := loader.LoadArchive(bytes.NewReader(treeChart.Package(t)))
	if err != nil {
		t.Fatal(err)
	}
	cluster, err := release.NewCluster(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := cluster.Configuration(ctx, release.Target{Namespace: ns, StorageNamespace: ns})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := (&release.Runner{Config: cfg, Cluster: cluster, Release: hr, TempDir: t.TempDir()}).Install(ctx, ch, nil); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code = ferry(t, "-n", ns, "tree", "hr", "other")
	if code != 0 {
		t.Fatalf("tree of a HelmRelease without inventory exited %d: %s", code, stderr)
	}
	mustContain(t, "stderr", stderr, "HelmRelease '"+ns+"/other' has no inventory in its status: listing the manifest of release "+ns+"/other.v1 in Helm's storage")
	want := "HelmRelease/" + ns + "/other\n" +
		"├── ConfigMap/" + ns + "/other-settings\n" +
		"├── Deployment/" + ns + "/other\n" +
		"└── Kustomization/" + ns + "/other-child\n"
	if stdout != want {
		t.Errorf("tree from Helm's storage:\n%s\nwant:\n%s", stdout, want)
	}

	_, stderr, code = ferry(t, "-n", ns, "tree", "hr", "nope")
	if code != 1 {
		t.Fatalf("tree of a missing HelmRelease exited %d, want 1", code)
	}
	mustContain(t, "stderr", stderr, "HelmRelease '"+ns+"/nope' not found")
}
