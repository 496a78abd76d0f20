package kustomization

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
)

func TestCrossNamespaceRefNamesTheDependencyKind(t *testing.T) {
	tests := map[string]struct {
		dep  kustomizev1.DependencyReference
		want string // empty: allowed
	}{
		"Kustomization, no kind": {dep: kustomizev1.DependencyReference{Name: "infra", Namespace: "flux-system"},
			want: "can't access 'Kustomization/flux-system/infra', cross-namespace references have been blocked"},
		"HelmRelease": {dep: kustomizev1.DependencyReference{Kind: "HelmRelease", Name: "redis", Namespace: "db"},
			want: "can't access 'HelmRelease/db/redis', cross-namespace references have been blocked"},
		"HelmRelease in the same namespace": {dep: kustomizev1.DependencyReference{Kind: "HelmRelease", Name: "redis"}},
	}
	r := &Reconciler{NoCrossNamespaceRefs: true}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ks := &kustomizev1.Kustomization{
				ObjectMeta: metav1.ObjectMeta{Namespace: "apps", Name: "app"},
				Spec: kustomizev1.KustomizationSpec{
					SourceRef: kustomizev1.CrossNamespaceSourceReference{Kind: "GitRepository", Name: "app"},
					DependsOn: []kustomizev1.DependencyReference{tc.dep},
				},
			}
			err := r.crossNamespaceRef(ks)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tc.want != "" && (err == nil || err.Error() != tc.want):
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}
