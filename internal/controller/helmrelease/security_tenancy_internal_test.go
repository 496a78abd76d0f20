package helmrelease

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	helmv2 "github.com/ferrycd/ferry/api/helm/v2"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
)

// TestTenancyFlags checks what --no-cross-namespace-refs and
// --default-service-account decide for a HelmRelease (the suite's one
// manager runs without them): a chart source, a chartRef or a dependency
// in another namespace is refused naming it, same-namespace ones are not,
// nothing is refused without the flag; a HelmRelease without
// serviceAccountName acts as the default ServiceAccount of its namespace,
// one with it as that one, and only without the flag with ferry's rights.
func TestTenancyFlags(t *testing.T) {
	hr := func(mutate func(*helmv2.HelmRelease)) *helmv2.HelmRelease {
		h := &helmv2.HelmRelease{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "web"}}
		mutate(h)
		return h
	}
	chart := func(ns string) func(*helmv2.HelmRelease) {
		return func(h *helmv2.HelmRelease) {
			h.Spec.Chart = &helmv2.HelmChartTemplate{Spec: helmv2.HelmChartTemplateSpec{Chart: "web",
				SourceRef: helmv2.CrossNamespaceObjectReference{Kind: sourcev1.HelmRepositoryKind, Name: "charts", Namespace: ns}}}
		}
	}
	chartRef := func(ns string) func(*helmv2.HelmRelease) {
		return func(h *helmv2.HelmRelease) {
			h.Spec.ChartRef = &helmv2.CrossNamespaceSourceReference{Kind: sourcev1.OCIRepositoryKind, Name: "web", Namespace: ns}
		}
	}
	dependsOn := func(ns string) func(*helmv2.HelmRelease) {
		return func(h *helmv2.HelmRelease) {
			chart("")(h)
			h.Spec.DependsOn = []helmv2.DependencyReference{{Name: "db", Namespace: ns}}
		}
	}
	refused := &Reconciler{NoCrossNamespaceRefs: true}
	for name, tc := range map[string]struct {
		obj  *helmv2.HelmRelease
		want string // empty: allowed
	}{
		"chart source elsewhere":    {hr(chart("flux-system")), "cannot access HelmRepository/flux-system/charts"},
		"chartRef elsewhere":        {hr(chartRef("flux-system")), "flux-system/web"},
		"dependency elsewhere":      {hr(dependsOn("infra")), "cannot depend on"},
		"chart source in namespace": {hr(chart("team")), ""},
		"chartRef implied":          {hr(chartRef("")), ""},
		"dependency in namespace":   {hr(dependsOn("team")), ""},
	} {
		t.Run(name, func(t *testing.T) {
			err := refused.crossNamespaceRefs(tc.obj)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "cross-namespace references are disabled") {
				t.Fatalf("err = %v, want one naming %q", err, tc.want)
			}
			if err := (&Reconciler{}).crossNamespaceRefs(tc.obj); err != nil {
				t.Errorf("refused without the flag: %v", err)
			}
		})
	}

	withDefault := &Reconciler{DefaultServiceAccount: "restricted"}
	own := hr(chart(""))
	named := hr(func(h *helmv2.HelmRelease) { chart("")(h); h.Spec.ServiceAccountName = "deployer" })
	if sa := withDefault.impersonator().ServiceAccountName(target(own)); sa != "restricted" {
		t.Errorf("without serviceAccountName under --default-service-account: acts as %q, want restricted", sa)
	}
	if sa := withDefault.impersonator().ServiceAccountName(target(named)); sa != "deployer" {
		t.Errorf("with serviceAccountName deployer: acts as %q", sa)
	}
	if sa := (&Reconciler{}).impersonator().ServiceAccountName(target(own)); sa != "" {
		t.Errorf("without the flag: acts as %q, want ferry's own identity", sa)
	}
}
