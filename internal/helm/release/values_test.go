package release

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"

	helmv2 "github.com/ferrycd/ferry/api/helm/v2"
	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
)

func TestMergeMaps(t *testing.T) {
	a := map[string]any{"image": map[string]any{"repo": "a", "tag": "1"}, "list": []any{1, 2}, "keep": true}
	b := map[string]any{"image": map[string]any{"tag": "2"}, "list": []any{3}, "new": "x"}
	got := MergeMaps(a, b)
	want := map[string]any{"image": map[string]any{"repo": "a", "tag": "2"}, "list": []any{3}, "keep": true, "new": "x"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("MergeMaps (-want +got):\n%s", d)
	}
	if a["image"].(map[string]any)["tag"] != "1" {
		t.Error("MergeMaps changed its input")
	}
}

func TestSetPath(t *testing.T) {
	tests := map[string]struct {
		path, value string
		want        map[string]any
	}{
		"number":        {"a.b", "3", map[string]any{"a": map[string]any{"b": int64(3)}}},
		"quoted string": {"a.b", `"3"`, map[string]any{"a": map[string]any{"b": "3"}}},
		"single quoted": {"token", "'abc,def'", map[string]any{"token": "abc,def"}},
		"list index":    {"list[1]", "x", map[string]any{"list": []any{nil, "x"}}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got := map[string]any{}
			if err := setPath(got, tt.path, tt.value); err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

func TestDigestIsCanonical(t *testing.T) {
	a := Digest(map[string]any{"x": 1, "y": map[string]any{"b": 2, "a": 1}})
	b := Digest(map[string]any{"y": map[string]any{"a": 1, "b": 2}, "x": 1})
	if a != b {
		t.Errorf("digests of equal maps differ: %s %s", a, b)
	}
}

func TestPatchesConvertsDeprecatedFields(t *testing.T) {
	k := &helmv2.Kustomize{
		Patches:               []kustomizev1.Patch{{Patch: "first"}},
		PatchesStrategicMerge: []apiextensionsv1.JSON{{Raw: []byte(`{"kind":"Deployment","metadata":{"name":"web"}}`)}},
		PatchesJSON6902: []helmv2.JSON6902Patch{{
			Target: kustomizev1.Selector{Kind: "Deployment", Name: "web"},
			Patch:  []helmv2.JSON6902{{Op: "replace", Path: "/spec/replicas", Value: &apiextensionsv1.JSON{Raw: []byte("2")}}},
		}},
	}
	got, err := Patches(k)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].Patch != "first" {
		t.Fatalf("patches: %+v", got)
	}
	if got[1].Patch != "kind: Deployment\nmetadata:\n  name: web\n" || got[1].Target != nil {
		t.Errorf("strategic merge patch: %q %v", got[1].Patch, got[1].Target)
	}
	if got[2].Patch != "- op: replace\n  path: /spec/replicas\n  value: 2\n" || got[2].Target.Name != "web" {
		t.Errorf("JSON 6902 patch: %q %+v", got[2].Patch, got[2].Target)
	}
}
