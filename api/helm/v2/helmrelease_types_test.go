package v2

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestGetReleaseName(t *testing.T) {
	long := strings.Repeat("a", 30)
	tests := map[string]struct {
		name, target, release, want string
	}{
		"name":                 {name: "web", want: "web"},
		"target namespace":     {name: "web", target: "prod", want: "prod-web"},
		"release name wins":    {name: "web", target: "prod", release: "frontend", want: "frontend"},
		"53 characters stay":   {name: strings.Repeat("b", 48), target: "prod", want: "prod-" + strings.Repeat("b", 48)},
		"past 53 is shortened": {name: long, target: long, want: (long + "-" + long)[:40] + "-" + sha12(long+"-"+long)},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			hr := &HelmRelease{ObjectMeta: metav1.ObjectMeta{Name: tt.name}, Spec: HelmReleaseSpec{TargetNamespace: tt.target, ReleaseName: tt.release}}
			got := hr.GetReleaseName()
			if got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// sha12 is the first 12 hex digits of the SHA-256 of s.
func sha12(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])[:12]
}

func TestDeprecatedFieldsHelpers(t *testing.T) {
	spec := HelmChartTemplateSpec{ValuesFile: "a.yaml", ValuesFiles: []string{"b.yaml"}}
	if got := spec.GetValuesFiles(); strings.Join(got, ",") != "a.yaml,b.yaml" {
		t.Errorf("GetValuesFiles = %v", got)
	}
	if p := (&Install{SkipCRDs: true}).GetCRDs(); p != Skip {
		t.Errorf("skipCRDs → %s", p)
	}
	if p := (*Install)(nil).GetCRDs(); p != Create {
		t.Errorf("install default → %s", p)
	}
	if p := (*Upgrade)(nil).GetCRDs(); p != Skip {
		t.Errorf("upgrade default → %s", p)
	}
}
