package kustomization_test

import (
	"strings"
	"testing"

	"github.com/ferrycd/ferry/internal/testenv"
)

// TestUnsubstitutedWarning checks that ${VAR} left in the manifests of a
// Kustomization without postBuild does not fail it, is applied as written
// (as Flux does), and is reported in a Warning event naming the variable,
// the file and the fix; escaped references are not reported.
func TestUnsubstitutedWarning(t *testing.T) {
	f := newFixture(t, map[string]string{
		"app/settings.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  cluster: ${CLUSTER_NAME}
  escaped: $${ESCAPED}
  script: echo $HOME
`,
	})
	f.syncSpec("app", "")
	f.WaitFor("ready", testenv.KustomizationReady(f.Head()))
	if got := testenv.Nested(f.Get("v1", "ConfigMap", "settings"), "data", "cluster"); got != "${CLUSTER_NAME}" {
		t.Errorf("cluster = %s, want ${CLUSTER_NAME} as written", got)
	}
	msg := f.warningEvent("UnsubstitutedVariable")
	for _, want := range []string{"${CLUSTER_NAME}", "app/settings.yaml", "ConfigMap/" + f.NS + "/settings", "spec.postBuild.substitute"} {
		if !strings.Contains(msg, want) {
			t.Errorf("event %q does not contain %q", msg, want)
		}
	}
	for _, not := range []string{"ESCAPED", "HOME"} {
		if strings.Contains(msg, not) {
			t.Errorf("event %q reports %s", msg, not)
		}
	}
}
