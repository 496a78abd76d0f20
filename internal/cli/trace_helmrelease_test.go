package cli

import (
	"regexp"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	helmv2 "github.com/ferrycd/ferry/api/helm/v2"
	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/internal/trace"
)

// testTraceHelmRelease traces a ConfigMap of a Helm release to its
// HelmRelease, HelmChart and HelmRepository, with the status written as
// the controllers write it; then with the chart moved on.
func testTraceHelmRelease(t *testing.T, p *statusPlane) {
	ns := p.newNamespace(t, "tracehelm")
	key := func(name string) types.NamespacedName { return types.NamespacedName{Namespace: ns, Name: name} }
	hr := testHelmRelease(ns, "web", "podinfo")
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "web-settings",
		Labels:      map[string]string{trace.HelmNameLabel: "web", trace.HelmNamespaceLabel: ns},
		Annotations: map[string]string{trace.HelmReleaseNameAnnotation: "web", trace.HelmReleaseNamespaceAnnotation: ns},
	}}
	p.create(t, testHelmRepository(ns, "podinfo"), testHelmChart(ns, hr.GetHelmChartName(), "podinfo"), hr, cm)
	p.writeStatus(t, helmRepositories, key("podinfo"), steps(withArtifact("sha256:9d3ac2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f"),
		readyOnly(metav1.ConditionTrue, "Succeeded", "stored artifact: revision 'sha256:9d3ac2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f'")))
	p.writeStatus(t, helmCharts, key(hr.GetHelmChartName()), steps(withArtifact("6.0.3"), readyOnly(metav1.ConditionTrue, "ChartPullSucceeded", "pulled 'podinfo' chart with version '6.0.3'")))
	inventory := func(obj fluxObject, _ string) {
		obj.(*helmv2.HelmRelease).Status.Inventory = &kustomizev1.ResourceInventory{Entries: []kustomizev1.ResourceRef{{ID: ns + "_web-settings__ConfigMap", Version: "v1"}}}
	}
	p.writeStatus(t, helmReleases, key("web"), steps(released("6.0.3"), inventory,
		readyOnly(metav1.ConditionTrue, "InstallSucceeded", "Helm install succeeded for release "+ns+"/web.v1 with chart podinfo@6.0.3")))

	mask := func(s string) string {
		s = strings.ReplaceAll(s, ns, "NS")
		return regexp.MustCompile(`since [0-9TZ:-]+`).ReplaceAllString(s, "since TIME")
	}
	stdout, stderr, code := p.ferry(t, "-n", ns, "trace", "configmap/web-settings")
	if code != 0 {
		t.Fatalf("trace exited %d: %s", code, stderr)
	}
	golden(t, "trace_helmrelease.golden", []byte(mask(stdout)))

	// A newer chart was fetched and not installed yet.
	p.writeStatus(t, helmCharts, key(hr.GetHelmChartName()), withArtifact("6.1.0"))
	stdout, _, _ = p.ferry(t, "-n", ns, "trace", "configmap/web-settings")
	mustContain(t, "trace with a newer chart", stdout, "Sync:      Out of sync: applied 6.0.3, the source is at 6.1.0")
}
