package receiver

import (
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"

	notificationv1 "github.com/ferrycd/ferry/api/notification/v1"
	"github.com/ferrycd/ferry/internal/scheme"
)

// TestResolve checks which kind and version each spec.resources entry
// patches: the version ferry serves, an explicit apiVersion, or Flux's
// default for a kind ferry does not serve.
func TestResolve(t *testing.T) {
	s := &Server{kinds: kindsOf(scheme.New())}
	tests := map[string]struct {
		ref    notificationv1.CrossNamespaceObjectReference
		want   schema.GroupVersionKind
		wantNS string
		skip   bool
	}{
		"GitRepository": {ref: notificationv1.CrossNamespaceObjectReference{Kind: "GitRepository", Name: "a"},
			want: schema.GroupVersionKind{Group: "source.toolkit.fluxcd.io", Version: "v1", Kind: "GitRepository"}, wantNS: "rcv"},
		"Kustomization without apiVersion": {ref: notificationv1.CrossNamespaceObjectReference{Kind: "Kustomization", Name: "a", Namespace: "other"},
			want: schema.GroupVersionKind{Group: "kustomize.toolkit.fluxcd.io", Version: "v1", Kind: "Kustomization"}, wantNS: "other"},
		"HelmRelease": {ref: notificationv1.CrossNamespaceObjectReference{Kind: "HelmRelease", Name: "a"},
			want: schema.GroupVersionKind{Group: "helm.toolkit.fluxcd.io", Version: "v2", Kind: "HelmRelease"}, wantNS: "rcv"},
		"explicit apiVersion": {ref: notificationv1.CrossNamespaceObjectReference{APIVersion: "source.toolkit.fluxcd.io/v1beta2", Kind: "HelmChart", Name: "a"},
			want: schema.GroupVersionKind{Group: "source.toolkit.fluxcd.io", Version: "v1beta2", Kind: "HelmChart"}, wantNS: "rcv"},
		"OCIRepository": {ref: notificationv1.CrossNamespaceObjectReference{Kind: "OCIRepository", Name: "a"},
			want: schema.GroupVersionKind{Group: "source.toolkit.fluxcd.io", Version: "v1", Kind: "OCIRepository"}, wantNS: "rcv"},
		"ImageRepository": {ref: notificationv1.CrossNamespaceObjectReference{Kind: "ImageRepository", Name: "a"},
			want: schema.GroupVersionKind{Group: "image.toolkit.fluxcd.io", Version: "v1", Kind: "ImageRepository"}, wantNS: "rcv"},
		"Flux's default for a kind ferry lacks": {ref: notificationv1.CrossNamespaceObjectReference{Kind: "ArtifactGenerator", Name: "a"},
			want: schema.GroupVersionKind{Group: "source.extensions.fluxcd.io", Version: "v1beta1", Kind: "ArtifactGenerator"}, wantNS: "rcv"},
		"no version known":           {ref: notificationv1.CrossNamespaceObjectReference{Kind: "Widget", Name: "a"}, skip: true},
		"a Receiver is not a target": {ref: notificationv1.CrossNamespaceObjectReference{Kind: "Receiver", Name: "a"}, skip: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, ok := s.resolve(tc.ref, "rcv")
			if ok == tc.skip {
				t.Fatalf("resolve = %+v, %v; want skipped %v", got, ok, tc.skip)
			}
			if !tc.skip && (got.gvk != tc.want || got.namespace != tc.wantNS) {
				t.Errorf("resolve = %s in %s, want %s in %s", got.gvk, got.namespace, tc.want, tc.wantNS)
			}
		})
	}
}
