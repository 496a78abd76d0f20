package trace

import (
	"context"
	"testing"

	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	helmv2 "github.com/ferrycd/ferry/api/helm/v2"
	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/internal/scheme"
)

func TestResolveKind(t *testing.T) {
	mapper := apimeta.NewDefaultRESTMapper(nil)
	mapper.Add(schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}, apimeta.RESTScopeNamespace)
	mapper.Add(schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}, apimeta.RESTScopeNamespace)
	for _, tt := range []struct{ apiVersion, kind, want string }{
		{"", "ConfigMap", "/v1, Kind=ConfigMap"},
		{"", "configmap", "/v1, Kind=ConfigMap"},
		{"v1", "configmaps", "/v1, Kind=ConfigMap"},
		{"apps", "Deployment", "apps/v1, Kind=Deployment"},
		{"apps/v1", "deployments", "apps/v1, Kind=Deployment"},
		{"", "deployment", "apps/v1, Kind=Deployment"},
	} {
		m, err := ResolveKind(mapper, tt.apiVersion, tt.kind)
		if err != nil || m.GroupVersionKind.String() != tt.want {
			t.Errorf("ResolveKind(%q, %q) = %v, %v; want %s", tt.apiVersion, tt.kind, m, err, tt.want)
		}
	}
	for _, bad := range [][2]string{{"", "Widget"}, {"apps/v1/x", "Deployment"}, {"batch", "Deployment"}} {
		if _, err := ResolveKind(mapper, bad[0], bad[1]); !apimeta.IsNoMatchError(err) {
			t.Errorf("ResolveKind(%q, %q): %v, want no match", bad[0], bad[1], err)
		}
	}
	if got := GroupName(""); got != "the core group" {
		t.Errorf("GroupName(\"\") = %q", got)
	}
	if got := GroupName("apps/v1"); got != "API version apps/v1" {
		t.Errorf("GroupName(apps/v1) = %q", got)
	}
}

func TestManagerOf(t *testing.T) {
	hr := &helmv2.HelmRelease{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "flux-system"},
		Spec: helmv2.HelmReleaseSpec{ReleaseName: "web-prod", TargetNamespace: "apps"}}
	reader := fake.NewClientBuilder().WithScheme(scheme.New()).WithObjects(hr).Build()
	all := func(string, string) bool { return true }
	ctx := context.Background()
	for name, tt := range map[string]struct {
		labels, annotations map[string]string
		visible             func(string, string) bool
		want                Ref
		found               bool
	}{
		"kustomize labels": {labels: map[string]string{kustomizev1.NameLabel: "apps", kustomizev1.NamespaceLabel: "flux-system"}, visible: all,
			want: Ref{Kind: kustomizev1.KustomizationKind, Namespace: "flux-system", Name: "apps"}, found: true},
		"helm labels": {labels: map[string]string{HelmNameLabel: "web", HelmNamespaceLabel: "flux-system"}, visible: all,
			want: Ref{Kind: helmv2.HelmReleaseKind, Namespace: "flux-system", Name: "web"}, found: true},
		"helm annotations": {annotations: map[string]string{HelmReleaseNameAnnotation: "web-prod", HelmReleaseNamespaceAnnotation: "apps"}, visible: all,
			want: Ref{Kind: helmv2.HelmReleaseKind, Namespace: "flux-system", Name: "web"}, found: true},
		"helm annotations, not visible": {annotations: map[string]string{HelmReleaseNameAnnotation: "web-prod", HelmReleaseNamespaceAnnotation: "apps"},
			visible: func(string, string) bool { return false }},
		"half a label":    {labels: map[string]string{kustomizev1.NameLabel: "apps"}, visible: all},
		"another release": {annotations: map[string]string{HelmReleaseNameAnnotation: "other", HelmReleaseNamespaceAnnotation: "apps"}, visible: all},
	} {
		got, _, found, err := ManagerOf(ctx, reader, tt.visible, tt.labels, tt.annotations)
		if err != nil || found != tt.found || got != tt.want {
			t.Errorf("%s: ManagerOf = %+v, %v, %v; want %+v, %v", name, got, found, err, tt.want, tt.found)
		}
	}
}
