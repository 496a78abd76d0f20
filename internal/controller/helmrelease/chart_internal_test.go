package helmrelease

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	helmv2 "github.com/ferrycd/ferry/api/helm/v2"
	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
)

// TestChartTemplateShard: the HelmChart of a sharded HelmRelease carries
// its shard key, so the same shard reconciles both; one of an unsharded
// release carries none.
func TestChartTemplateShard(t *testing.T) {
	hr := &helmv2.HelmRelease{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "apps", Labels: map[string]string{meta.ShardingKeyLabel: "shard1", "team": "web"}},
		Spec: helmv2.HelmReleaseSpec{Chart: &helmv2.HelmChartTemplate{
			ObjectMeta: &helmv2.HelmChartTemplateObjectMeta{Labels: map[string]string{"chart-label": "yes"}},
			Spec:       helmv2.HelmChartTemplateSpec{Chart: "podinfo", SourceRef: helmv2.CrossNamespaceObjectReference{Kind: sourcev1.HelmRepositoryKind, Name: "podinfo"}},
		}},
	}
	hc := chartTemplate(hr)
	if hc.Labels[meta.ShardingKeyLabel] != "shard1" || hc.Labels["chart-label"] != "yes" || hc.Labels["team"] != "" {
		t.Errorf("HelmChart labels %v: want the shard key and the template's labels only", hc.Labels)
	}
	delete(hr.Labels, meta.ShardingKeyLabel)
	if hc := chartTemplate(hr); hc.Labels[meta.ShardingKeyLabel] != "" {
		t.Errorf("an unsharded release's HelmChart has labels %v", hc.Labels)
	}
}
