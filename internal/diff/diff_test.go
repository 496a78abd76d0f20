package diff

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/ferrycd/ferry/internal/build"
)

func TestWrite(t *testing.T) {
	tests := map[string]struct {
		changes []Change
		want    string
	}{
		"none": {nil, ""},
		"each action": {
			[]Change{
				{ID: "Namespace/apps", Action: Created},
				{ID: "ConfigMap/apps/settings", Action: Drifted, Diff: "--- a\n+++ b"},
				{ID: "ConfigMap/apps/old", Action: Deleted},
			},
			"► Namespace/apps created\n► ConfigMap/apps/settings drifted\n--- a\n+++ b\n► ConfigMap/apps/old deleted\n",
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			var b strings.Builder
			if err := Write(&b, tt.changes); err != nil {
				t.Fatal(err)
			}
			if b.String() != tt.want {
				t.Errorf("Write =\n%q\nwant\n%q", b.String(), tt.want)
			}
			if Changed(tt.changes) != (len(tt.changes) > 0) {
				t.Errorf("Changed = %v", Changed(tt.changes))
			}
		})
	}
}

// TestUnifiedMasksSecrets diffs a Secret whose stringData and a
// ConfigMap whose value was substituted from a Secret: neither value shows.
func TestUnifiedMasksSecrets(t *testing.T) {
	sub := &build.Substitution{Sensitive: []string{"hunter22"}}
	obj := func(kind, field, key, value string) *unstructured.Unstructured {
		return &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "v1", "kind": kind,
			"metadata": map[string]any{"name": "x", "namespace": "ns", "resourceVersion": "7", "uid": "u"},
			field:      map[string]any{key: value},
		}}
	}
	tests := map[string]struct {
		live, merged *unstructured.Unstructured
		hidden       []string
		shown        []string
	}{
		"Secret stringData": {obj("Secret", "stringData", "password", "old-one"), obj("Secret", "stringData", "token", "new-one"),
			[]string{"old-one", "new-one"}, []string{"-  password: '***'", "+  token: '***'"}},
		"substituted value": {obj("ConfigMap", "data", "url", "https://user:hunter22@example.com"), obj("ConfigMap", "data", "url", "https://user:hunter22@example.org"),
			[]string{"hunter22", "resourceVersion", "uid"}, []string{"-  url: https://user:***@example.com", "+  url: https://user:***@example.org"}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			text, err := Unified("X", Masked(tt.live, sub), Masked(tt.merged, sub))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(text, "--- X (cluster)\n+++ X (after apply)\n") {
				t.Errorf("headers:\n%s", text)
			}
			for _, s := range tt.hidden {
				if strings.Contains(text, s) {
					t.Errorf("the diff shows %q:\n%s", s, text)
				}
			}
			for _, s := range tt.shown {
				if !strings.Contains(text, s) {
					t.Errorf("the diff lacks %q:\n%s", s, text)
				}
			}
		})
	}
}

func TestSecretKeys(t *testing.T) {
	obj := &unstructured.Unstructured{Object: map[string]any{
		"data":       map[string]any{"b": "x", "sops_mac": "y"},
		"stringData": map[string]any{"a": "z", "b": "w"},
	}}
	if got := strings.Join(secretKeys(obj), ","); got != "a,b" {
		t.Errorf("secretKeys = %s, want a,b", got)
	}
}
