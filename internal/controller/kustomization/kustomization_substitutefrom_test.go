package kustomization_test

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/testenv"
)

// TestSubstituteFrom checks postBuild.substituteFrom: ConfigMaps and Secrets
// in order (later entries override earlier ones), substitute over them, an
// optional reference to a missing object, a required one failing until it
// exists, and that no Secret value shows in a condition or event.
func TestSubstituteFrom(t *testing.T) {
	const secretValue = "s3cr3t-t0ken"
	f := newFixture(t, map[string]string{
		"app/settings.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  cluster: ${CLUSTER}
  region: ${REGION}
  level: ${LEVEL}
  token: ${TOKEN}
`,
	})
	ctx := context.Background()
	if err := env.Client.Create(ctx, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "vars", Namespace: f.NS},
		Data:       map[string]string{"CLUSTER": "staging", "REGION": "from-configmap", "LEVEL": "from-configmap"},
	}); err != nil {
		t.Fatal(err)
	}
	f.syncSpec("app", `  postBuild:
    substitute:
      REGION: inline
    substituteFrom:
      - kind: ConfigMap
        name: vars
      - kind: ConfigMap
        name: absent
        optional: true
      - kind: Secret
        name: secret-vars`)

	// The required Secret does not exist yet.
	ks := f.WaitFor("failed", testenv.KustomizationFailed("BuildFailed", f.Head()))
	msg := testenv.ReadyCondition(ks).Message
	for _, want := range []string{"Secret " + f.NS + "/secret-vars not found", "optional: true"} {
		if !strings.Contains(msg, want) {
			t.Errorf("Ready message %q does not contain %q", msg, want)
		}
	}
	if err := env.Client.Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "secret-vars", Namespace: f.NS},
		Data: map[string][]byte{"TOKEN": []byte(secretValue), "LEVEL": []byte("from-secret"),
			"BAD_LABEL": []byte("not a label " + secretValue)},
	}); err != nil {
		t.Fatal(err)
	}
	f.WaitFor("ready", testenv.KustomizationReady(f.Head()))
	cm := f.Get("v1", "ConfigMap", "settings")
	for k, want := range map[string]string{"cluster": "staging", "region": "inline", "level": "from-secret", "token": secretValue} {
		if got := testenv.Nested(cm, "data", k); got != want {
			t.Errorf("data.%s = %s, want %s", k, got, want)
		}
	}

	// A build failing after substitution does not show the Secret's value.
	rev := f.Commit("break", map[string]string{"app/broken.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: broken
data:
  token: ${TOKEN}
  missing: ${MISSING}
`})
	f.RequestReconcile(&sourcev1.GitRepository{}, "app")
	ks = f.WaitFor("failed", testenv.KustomizationFailed("BuildFailed", rev))
	if msg := testenv.ReadyCondition(ks).Message; !strings.Contains(msg, "${MISSING}") || !strings.Contains(msg, "app/broken.yaml") {
		t.Errorf("Ready message %q does not name ${MISSING} in app/broken.yaml", msg)
	}
	noSecret := func() {
		t.Helper()
		for _, c := range ks.Status.Conditions {
			if strings.Contains(c.Message, secretValue) {
				t.Errorf("condition %s shows the Secret value: %q", c.Type, c.Message)
			}
		}
		for _, e := range f.Events() {
			if strings.Contains(e.Message, secretValue) {
				t.Errorf("event %s shows the Secret value: %q", e.Reason, e.Message)
			}
		}
	}
	noSecret()

	// The API server quotes invalid values in its errors: the Secret's value is masked.
	rev = f.Commit("bad label", map[string]string{"app/broken.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: broken
  labels:
    bad: ${BAD_LABEL}
`})
	f.RequestReconcile(&sourcev1.GitRepository{}, "app")
	ks = f.WaitFor("failed", testenv.KustomizationFailed("ReconciliationFailed", rev))
	if msg := testenv.ReadyCondition(ks).Message; !strings.Contains(msg, "***") {
		t.Errorf("Ready message %q does not show the masked value", msg)
	}
	noSecret()
}
