package helmrelease_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	helmv2 "github.com/ferrycd/ferry/api/helm/v2"
	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/controller"
	"github.com/ferrycd/ferry/internal/helm/helmtest"
	"github.com/ferrycd/ferry/internal/helm/release"
	"github.com/ferrycd/ferry/internal/testenv"
)

// The suite shares one simulated control plane (workloads become ready, or
// never do) and one manager running only the HelmRelease controller: the
// tests publish HelmChart artifacts themselves, so a release's chart is
// exactly what the test says.
var env *testenv.Env

const secretValue = "s3cr3t-helm-value"

func TestMain(m *testing.M) {
	env = testenv.Start(testenv.Options{
		Simulated: true,
		Manager: &controller.Options{
			Controllers:       []string{"helmrelease"},
			Concurrent:        4,
			DependencyRequeue: time.Second,
		},
		Secrets: []string{secretValue},
	})
	os.Exit(env.Run(m))
}

// publish stores c as the artifact of the HelmChart ns/name (created when
// missing) and marks it Ready at its generation, as the HelmChart
// controller would.
func publish(t *testing.T, ns, name string, c helmtest.Chart) *sourcev1.HelmChart {
	t.Helper()
	ctx := context.Background()
	hc := &sourcev1.HelmChart{}
	err := env.Client.Get(ctx, testenv.Key(ns, name), hc)
	if err != nil {
		hc = &sourcev1.HelmChart{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
			Spec: sourcev1.HelmChartSpec{
				Chart:     c.Name,
				Version:   "*",
				SourceRef: sourcev1.LocalHelmChartSourceReference{Kind: sourcev1.HelmRepositoryKind, Name: "test"},
				Interval:  metav1.Duration{Duration: time.Hour},
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
	hc.Status.Artifact = art
	hc.Status.ObservedGeneration = hc.Generation
	hc.Status.ObservedChartName = c.Name
	apimeta.SetStatusCondition(&hc.Status.Conditions, metav1.Condition{
		Type: meta.ReadyCondition, Status: metav1.ConditionTrue, Reason: sourcev1.ChartPullSucceededReason,
		Message: "pulled '" + c.Name + "' chart with version '" + c.Version + "'", ObservedGeneration: hc.Generation,
	})
	if err := env.Client.Status().Update(ctx, hc); err != nil {
		t.Fatal(err)
	}
	return hc
}

// apply creates or updates the HelmRelease of a YAML document ({{ns}} is
// the namespace).
func apply(t *testing.T, ns, doc string) *helmv2.HelmRelease {
	t.Helper()
	hr := &helmv2.HelmRelease{}
	if err := yaml.UnmarshalStrict([]byte(strings.ReplaceAll(doc, "{{ns}}", ns)), hr); err != nil {
		t.Fatal(err)
	}
	hr.Namespace = ns
	live := &helmv2.HelmRelease{}
	ctx := context.Background()
	if err := env.Client.Get(ctx, client.ObjectKeyFromObject(hr), live); err == nil {
		live.Spec = hr.Spec
		live.Annotations = hr.Annotations
		if err := env.Client.Update(ctx, live); err != nil {
			t.Fatal(err)
		}
		return live
	}
	if err := env.Client.Create(ctx, hr); err != nil {
		t.Fatal(err)
	}
	return hr
}

// waitHR waits until the HelmRelease meets cond.
func waitHR(t *testing.T, ns, name, what string, cond func(*helmv2.HelmRelease) bool) *helmv2.HelmRelease {
	t.Helper()
	return testenv.WaitFor(t, env.Client, testenv.Key(ns, name), what, cond)
}

// readyWith is a HelmRelease Ready=True at its generation, for reason.
func readyWith(reason string) func(*helmv2.HelmRelease) bool {
	return func(hr *helmv2.HelmRelease) bool {
		c := apimeta.FindStatusCondition(hr.Status.Conditions, meta.ReadyCondition)
		return c != nil && c.Status == metav1.ConditionTrue && c.ObservedGeneration == hr.Generation &&
			hr.Status.ObservedGeneration == hr.Generation && (reason == "" || c.Reason == reason)
	}
}

// failedWith is a HelmRelease Ready=False at its generation for reason.
func failedWith(reason string) func(*helmv2.HelmRelease) bool {
	return func(hr *helmv2.HelmRelease) bool {
		c := apimeta.FindStatusCondition(hr.Status.Conditions, meta.ReadyCondition)
		return c != nil && c.Status == metav1.ConditionFalse && c.ObservedGeneration == hr.Generation && c.Reason == reason
	}
}

// releaseSecrets lists Helm's storage Secrets of release name in ns,
// by version.
func releaseSecrets(t *testing.T, ns, name string) map[string]string {
	t.Helper()
	var list corev1.SecretList
	if err := env.Client.List(context.Background(), &list, client.InNamespace(ns),
		client.MatchingLabels{"owner": "helm", "name": name}); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, s := range list.Items {
		out[s.Labels["version"]] = s.Labels["status"]
	}
	return out
}

// describeHistory lists the versions of a release in Helm's storage with
// their status and description.
func describeHistory(t *testing.T, ns, name string) string {
	t.Helper()
	cluster, err := release.NewCluster(env.Config)
	must(t, err)
	cfg, err := cluster.Configuration(context.Background(), release.Target{Namespace: ns, StorageNamespace: ns})
	must(t, err)
	rels, err := (&release.Runner{Config: cfg, Release: &helmv2.HelmRelease{Spec: helmv2.HelmReleaseSpec{ReleaseName: name}}}).History()
	must(t, err)
	var b strings.Builder
	for _, r := range rels {
		fmt.Fprintf(&b, "\n  v%d %s: %s", r.Version, r.Info.Status, r.Info.Description)
	}
	return b.String()
}

func configMap(t *testing.T, ns, name string) (*corev1.ConfigMap, error) {
	t.Helper()
	cm := &corev1.ConfigMap{}
	err := env.Client.Get(context.Background(), testenv.Key(ns, name), cm)
	return cm, err
}

func readyMessage(hr *helmv2.HelmRelease) string {
	if c := apimeta.FindStatusCondition(hr.Status.Conditions, meta.ReadyCondition); c != nil {
		return c.Reason + ": " + c.Message
	}
	return ""
}

func hrDoc(name, extra string) string {
	return fmt.Sprintf(`apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: %s
spec:
  interval: 1h
  chartRef:
    kind: HelmChart
    name: %s
%s`, name, name, extra)
}
