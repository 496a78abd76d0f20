// Package chain_test runs the HelmRepository, HelmChart, GitRepository and
// HelmRelease controllers together: a HelmRelease's spec.chart template
// becomes a HelmChart that pulls from a real chart repository or a Git
// source, at every API version still found in Git.
package chain_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	helmv2 "github.com/ferrycd/ferry/api/helm/v2"
	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/controller"
	"github.com/ferrycd/ferry/internal/helm/helmtest"
	"github.com/ferrycd/ferry/internal/testenv"
)

var env *testenv.Env

const repoPassword = "chain-pa55-w0rd"

func TestMain(m *testing.M) {
	env = testenv.Start(testenv.Options{
		Manager: &controller.Options{
			Controllers:       []string{"gitrepository", "helmrepository", "helmchart", "helmrelease"},
			Concurrent:        4,
			DependencyRequeue: time.Second,
		},
		GitServer: true,
		Secrets:   []string{repoPassword},
	})
	os.Exit(env.Run(m))
}

// applyYAML creates the objects of a YAML stream ({{ns}} is the
// namespace) as unstructured objects, at whatever apiVersion they say.
func applyYAML(t *testing.T, ns, stream string) {
	t.Helper()
	for _, doc := range strings.Split(strings.ReplaceAll(stream, "{{ns}}", ns), "\n---\n") {
		if strings.TrimSpace(doc) == "" {
			continue
		}
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(doc), &u.Object); err != nil {
			t.Fatal(err)
		}
		u.SetNamespace(ns)
		if err := env.Client.Create(context.Background(), u); err != nil {
			t.Fatalf("creating %s %s: %v", u.GetKind(), u.GetName(), err)
		}
	}
}

func ready(hr *helmv2.HelmRelease) bool {
	c := apimeta.FindStatusCondition(hr.Status.Conditions, meta.ReadyCondition)
	return c != nil && c.Status == metav1.ConditionTrue && c.ObservedGeneration == hr.Generation
}

func configMapData(t *testing.T, ns, name string) map[string]string {
	t.Helper()
	var cm corev1.ConfigMap
	if err := env.Client.Get(context.Background(), testenv.Key(ns, name), &cm); err != nil {
		t.Fatal(err)
	}
	return cm.Data
}

// TestV2beta1FromBasicAuthRepository is seed 000's shape at its API
// versions (source v1beta2, helm v2beta1) against an HTTP repository with
// basic auth: the HelmChart made from the template pulls the newest
// matching version, the v2beta1 valuesFile and patchesStrategicMerge are
// honoured, and a new chart version in the index is released.
func TestV2beta1FromBasicAuthRepository(t *testing.T) {
	ns := env.NewNamespace(t, "chain-v2beta1")
	repo := helmtest.NewHTTPRepo(t, helmtest.HTTPRepoOptions{Username: "helm", Password: repoPassword})
	chart := func(version string) helmtest.Chart {
		return helmtest.Chart{Name: "web", Version: version, Values: "data:\n  env: default\n  size: s\n",
			Files: map[string]string{"values-prod.yaml": "data:\n  env: production\n"}}
	}
	repo.Add(t, chart("1.0.0"), chart("1.1.0"), chart("2.0.0"))
	if err := env.Client.Create(context.Background(), &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "repo-auth"},
		StringData: map[string]string{"username": "helm", "password": repoPassword},
	}); err != nil {
		t.Fatal(err)
	}
	applyYAML(t, ns, `apiVersion: source.toolkit.fluxcd.io/v1beta2
kind: HelmRepository
metadata:
  name: charts
spec:
  interval: 1m
  url: `+repo.URL()+`
  secretRef:
    name: repo-auth
---
apiVersion: helm.toolkit.fluxcd.io/v2beta1
kind: HelmRelease
metadata:
  name: web
spec:
  interval: 10m
  chart:
    spec:
      chart: web
      version: "1.x"
      valuesFile: values-prod.yaml
      sourceRef:
        kind: HelmRepository
        name: charts
  install:
    createNamespace: true
    remediation:
      retries: 3
  upgrade:
    remediation:
      retries: 3
      remediateLastFailure: true
  values:
    data:
      size: m
  postRenderers:
    - kustomize:
        patchesStrategicMerge:
          - apiVersion: v1
            kind: ConfigMap
            metadata:
              name: web-web
              namespace: {{ns}}
            data:
              patched: "yes"
`)
	hr := testenv.WaitFor(t, env.Client, testenv.Key(ns, "web"), "Ready", ready)
	if hr.Status.HelmChart != ns+"/"+ns+"-web" {
		t.Errorf("status.helmChart = %q", hr.Status.HelmChart)
	}
	latest := hr.Status.History.Latest()
	if latest == nil || !strings.HasPrefix(latest.ChartVersion, "1.1.0+") {
		t.Errorf("released %s, want 1.1.0 with the values-file generation", testenv.Dump(latest))
	}
	data := configMapData(t, ns, "web-web")
	if data["env"] != "production" || data["size"] != "m" || data["patched"] != "yes" {
		t.Errorf("ConfigMap data %v: valuesFile, values or the strategic merge patch missing", data)
	}
	if hr.Status.LastAppliedRevision != latest.ChartVersion {
		t.Errorf("lastAppliedRevision %q, want %q for v2beta1 readers", hr.Status.LastAppliedRevision, latest.ChartVersion)
	}

	// Read back as v2beta1, the deprecated status field is there.
	old := &unstructured.Unstructured{}
	old.SetAPIVersion("helm.toolkit.fluxcd.io/v2beta1")
	old.SetKind("HelmRelease")
	if err := env.Client.Get(context.Background(), client.ObjectKeyFromObject(hr), old); err != nil {
		t.Fatal(err)
	}
	if v, _, _ := unstructured.NestedString(old.Object, "status", "lastAppliedRevision"); v != latest.ChartVersion {
		t.Errorf("v2beta1 status.lastAppliedRevision = %q", v)
	}

	// A new matching version in the index is released.
	repo.Add(t, chart("1.2.0"))
	testenv.RequestReconcile(t, env.Client, &sourcev1.HelmRepository{}, testenv.Key(ns, "charts"))
	testenv.WaitFor(t, env.Client, testenv.Key(ns, "web"), "at 1.2.0", func(hr *helmv2.HelmRelease) bool {
		l := hr.Status.History.Latest()
		return ready(hr) && l != nil && strings.HasPrefix(l.ChartVersion, "1.2.0+")
	})
}

// TestChartFromGit: a chart directory in a GitRepository, released from
// the template's HelmChart; a commit changing the chart's version upgrades.
func TestChartFromGit(t *testing.T) {
	files := func(version string) map[string]string {
		c := helmtest.Chart{Name: "app", Version: version, Values: "data:\n  from: git\n"}
		dir := t.TempDir()
		c.WriteDir(t, dir)
		out := map[string]string{}
		for _, f := range []string{"Chart.yaml", "values.yaml", "templates/configmap.yaml"} {
			b, err := os.ReadFile(dir + "/" + f)
			if err != nil {
				t.Fatal(err)
			}
			out["charts/app/"+f] = string(b)
		}
		return out
	}
	fx := env.NewFixture(t, files("0.1.0"))
	ns := fx.NS
	applyYAML(t, ns, `apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: repo
spec:
  interval: 1h
  url: `+fx.URL+`
  ref:
    branch: main
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: app
spec:
  interval: 1h
  chart:
    spec:
      chart: ./charts/app
      sourceRef:
        kind: GitRepository
        name: repo
`)
	testenv.WaitFor(t, env.Client, testenv.Key(ns, "app"), "Ready", ready)
	if d := configMapData(t, ns, "app-app"); d["from"] != "git" {
		t.Errorf("ConfigMap data %v", d)
	}
	fx.Commit("chart 0.2.0", files("0.2.0"))
	testenv.RequestReconcile(t, env.Client, &sourcev1.GitRepository{}, testenv.Key(ns, "repo"))
	testenv.WaitFor(t, env.Client, testenv.Key(ns, "app"), "at 0.2.0", func(hr *helmv2.HelmRelease) bool {
		l := hr.Status.History.Latest()
		return ready(hr) && l != nil && l.ChartVersion == "0.2.0"
	})
}
