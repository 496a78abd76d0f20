package helmchart

import (
	"reflect"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
)

func TestShortHash(t *testing.T) {
	tests := map[string]string{
		"main@sha1:4e5cbb7b97d00a8039b8810b90b922f4256fd3bd": "4e5cbb7b97d0",
		"sha256:8d1f0ac3f4b0e8759a32180086f17ac87ca04e5d46":  "8d1f0ac3f4b0",
		"v1.0.0@sha1:abc":                          "abc",
		"4e5cbb7b97d00a8039b8810b90b922f4256fd3bd": "4e5cbb7b97d0",
	}
	for in, want := range tests {
		if got := shortHash(in); got != want {
			t.Errorf("shortHash(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestValuesFilesAndRevisionMetadata(t *testing.T) {
	tests := map[string]struct {
		valuesFile string
		files      []string
		want       []string
		metadata   string
	}{
		"none":                       {},
		"a lone values.yaml is none": {files: []string{"./values.yaml"}},
		"the deprecated one first":   {valuesFile: "a.yaml", files: []string{"b.yaml"}, want: []string{"a.yaml", "b.yaml"}, metadata: "7"},
		"values.yaml and another":    {files: []string{"values.yaml", "prod.yaml"}, want: []string{"values.yaml", "prod.yaml"}, metadata: "7"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			hc := &sourcev1.HelmChart{ObjectMeta: metav1.ObjectMeta{Generation: 7},
				Spec: sourcev1.HelmChartSpec{ValuesFile: tt.valuesFile, ValuesFiles: tt.files}}
			if got := valuesFiles(hc); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("valuesFiles = %v, want %v", got, tt.want)
			}
			if got := generationMetadata(hc); got != tt.metadata {
				t.Errorf("generationMetadata = %q, want %q", got, tt.metadata)
			}
		})
	}
}

func TestSummary(t *testing.T) {
	b := &build{name: "podinfo", version: "6.0.3"}
	if got := b.summary(); got != "pulled 'podinfo' chart with version '6.0.3'" || b.reason() != sourcev1.ChartPullSucceededReason {
		t.Errorf("summary = %q, %s", got, b.reason())
	}
	b = &build{name: "podinfo", version: "6.0.3+1", packaged: true, valuesFiles: []string{"values.yaml", "prod.yaml"}}
	if got := b.summary(); got != "packaged 'podinfo' chart with version '6.0.3+1' and merged values files [values.yaml prod.yaml]" ||
		b.reason() != sourcev1.ChartPackageSucceededReason {
		t.Errorf("summary = %q, %s", got, b.reason())
	}
}
