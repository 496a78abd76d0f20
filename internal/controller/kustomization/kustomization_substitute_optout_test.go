package kustomization_test

import (
	"testing"

	"github.com/ferrycd/ferry/internal/testenv"
)

// TestSubstituteOptOut checks that objects annotated or labelled with
// kustomize.toolkit.fluxcd.io/substitute: disabled are applied as written,
// and that their references do not count as missing.
func TestSubstituteOptOut(t *testing.T) {
	f := newFixture(t, map[string]string{
		"app/settings.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  cluster: ${CLUSTER}
`,
		"app/script.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: script
  annotations:
    kustomize.toolkit.fluxcd.io/substitute: disabled
data:
  run.sh: |
    echo "${HOME} ${CLUSTER} $${x}"
`,
		"app/labelled.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: labelled
  labels:
    kustomize.toolkit.fluxcd.io/substitute: disabled
data:
  value: ${UNSET}
`,
	})
	f.syncSpec("app", `  postBuild:
    substitute:
      CLUSTER: prod`)
	f.WaitFor("ready", testenv.KustomizationReady(f.Head()))
	if got := testenv.Nested(f.Get("v1", "ConfigMap", "settings"), "data", "cluster"); got != "prod" {
		t.Errorf("settings cluster = %s, want prod", got)
	}
	if got := testenv.Nested(f.Get("v1", "ConfigMap", "script"), "data", "run.sh"); got != "echo \"${HOME} ${CLUSTER} $${x}\"\n" {
		t.Errorf("script run.sh = %q, want it as written", got)
	}
	if got := testenv.Nested(f.Get("v1", "ConfigMap", "labelled"), "data", "value"); got != "${UNSET}" {
		t.Errorf("labelled value = %s, want ${UNSET}", got)
	}
}
