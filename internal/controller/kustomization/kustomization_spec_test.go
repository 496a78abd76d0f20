package kustomization_test

import (
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/ferrycd/ferry/internal/testenv"
)

// syncSpec creates a GitRepository "app" for the fixture's repository and a
// Kustomization "app" building path into the fixture's namespace, with
// extra spec fields (YAML indented by two spaces) and a short retry interval.
func (f *fixture) syncSpec(path, extra string) {
	f.T.Helper()
	f.ApplyYAML(fmt.Sprintf(`apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: app
  namespace: {{ns}}
spec:
  interval: 1h
  url: {{url}}
  ref:
    branch: main
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: app
  namespace: {{ns}}
spec:
  interval: 1h
  retryInterval: 1s
  path: %q
  prune: true
  targetNamespace: {{ns}}
  sourceRef:
    kind: GitRepository
    name: app
%s`, path, strings.TrimRight(extra, "\n")))
}

// warningEvent waits for a Warning event of the Kustomization with reason
// and returns its message.
func (f *fixture) warningEvent(reason string) string {
	f.T.Helper()
	var msg string
	f.Eventually("a Warning event "+reason, func() string {
		for _, e := range f.Events() {
			if e.Type == corev1.EventTypeWarning && e.Reason == reason {
				msg = e.Message
				return ""
			}
		}
		return fmt.Sprintf("events: %v", f.Events())
	})
	return msg
}

// TestSpecFields checks the build fields of the Flux Kustomization spec:
// patches (strategic merge and JSON 6902, with targets), images,
// namePrefix/nameSuffix, commonMetadata and components.
func TestSpecFields(t *testing.T) {
	files := appFiles()
	files["apps/components/extra/kustomization.yaml"] = `apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component
resources:
  - extra.yaml
`
	files["apps/components/extra/extra.yaml"] = `apiVersion: v1
kind: ConfigMap
metadata:
  name: extra
data:
  FROM: component
`
	f := newFixture(t, files)
	f.syncSpec("./apps/base", `  namePrefix: pre-
  nameSuffix: -suf
  images:
    - name: nginx
      newName: registry.example.com/nginx
      newTag: "1.28"
  patches:
    - patch: |
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: any
        spec:
          replicas: 4
      target:
        kind: Deployment
        name: web
    - patch: |
        - op: add
          path: /data/EXTRA
          value: "yes"
      target:
        kind: ConfigMap
        name: web-settings
  commonMetadata:
    labels:
      team: platform
    annotations:
      owner: ops@example.com
  components:
    - ../components/extra
    - ../components/not-there
  ignoreMissingComponents: true`)
	f.WaitFor("ready", testenv.KustomizationReady(f.Head()))

	d := f.Get("apps/v1", "Deployment", "pre-web-suf")
	if d == nil {
		t.Fatal("Deployment pre-web-suf was not applied")
	}
	if got := testenv.Nested(d, "spec", "replicas"); got != "4" {
		t.Errorf("replicas = %s, want 4 from the strategic merge patch", got)
	}
	if got := testenv.Nested(d, "spec", "template", "spec", "containers"); !strings.Contains(got, "image:registry.example.com/nginx:1.28") {
		t.Errorf("containers = %s, want image registry.example.com/nginx:1.28", got)
	}
	if d.GetLabels()["team"] != "platform" || d.GetAnnotations()["owner"] != "ops@example.com" {
		t.Errorf("labels %v annotations %v, want commonMetadata", d.GetLabels(), d.GetAnnotations())
	}
	if got := testenv.Nested(d, "spec", "selector", "matchLabels"); got != "map[app:web]" {
		t.Errorf("selector = %s, want it untouched by commonMetadata", got)
	}
	cm := f.Get("v1", "ConfigMap", "pre-web-settings-suf")
	if got := testenv.Nested(cm, "data", "EXTRA"); got != "yes" {
		t.Errorf("ConfigMap EXTRA = %s, want yes from the JSON 6902 patch", got)
	}
	if cm.GetLabels()["team"] != "platform" {
		t.Errorf("ConfigMap labels %v, want commonMetadata", cm.GetLabels())
	}
	if got := testenv.Nested(f.Get("v1", "ConfigMap", "pre-extra-suf"), "data", "FROM"); got != "component" {
		t.Errorf("component ConfigMap FROM = %s, want component", got)
	}
	if f.Get("apps/v1", "Deployment", "web") != nil {
		t.Error("a Deployment without the prefix and suffix was applied")
	}
}
