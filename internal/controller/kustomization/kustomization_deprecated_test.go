package kustomization_test

import (
	"strings"
	"testing"

	"github.com/ferrycd/ferry/internal/testenv"
)

// TestDeprecatedFields checks that deprecated kustomize fields (bases,
// commonLabels) still build and apply, and that each is reported in a
// Warning event naming the file and the replacement, not as a failure.
func TestDeprecatedFields(t *testing.T) {
	f := newFixture(t, map[string]string{
		"base/kustomization.yaml": `resources:
  - configmap.yaml
commonLabels:
  team: web
`,
		"base/configmap.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  level: info
`,
		"overlay/kustomization.yaml": `bases:
  - ../base
`,
	})
	f.syncSpec("overlay", "")
	f.WaitFor("ready", testenv.KustomizationReady(f.Head()))
	if cm := f.Get("v1", "ConfigMap", "settings"); cm == nil || cm.GetLabels()["team"] != "web" {
		t.Errorf("ConfigMap = %v, want it applied with the commonLabels label", cm)
	}
	f.warningEvent("DeprecatedField")
	f.Eventually("both deprecations reported", func() string {
		var all []string
		for _, e := range f.Events() {
			if e.Reason == "DeprecatedField" {
				all = append(all, e.Message)
			}
		}
		joined := strings.Join(all, "\n")
		for _, want := range []string{
			"base/kustomization.yaml: commonLabels is deprecated", "use labels",
			"overlay/kustomization.yaml: bases is deprecated", "use resources",
		} {
			if !strings.Contains(joined, want) {
				return "events " + joined + " do not contain " + want
			}
		}
		return ""
	})
}
