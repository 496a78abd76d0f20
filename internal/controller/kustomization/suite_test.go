package kustomization_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/internal/controller"
	"github.com/ferrycd/ferry/internal/testenv"
)

// The suite shares one control plane and one manager running both the
// GitRepository and the Kustomization controllers; each test has its own Git
// repository and namespace. Intervals are an hour, so whatever a test sees
// happen was triggered, not scheduled.
var env *testenv.Env

func TestMain(m *testing.M) {
	env = testenv.Start(testenv.Options{
		GitServer: true,
		Manager: &controller.Options{
			Controllers:       []string{"gitrepository", "kustomization"},
			Concurrent:        2,
			DependencyRequeue: time.Second,
			// Kustomizations of a test's own reconciler (startReconciler) are not the suite's.
			WatchLabelSelector: notOwnReconciler(),
		},
	})
	os.Exit(env.Run(m))
}

// appFiles is a seed-style repository: a base and three environment
// overlays that set replicas and a configuration value.
func appFiles() map[string]string {
	files := map[string]string{
		"apps/base/kustomization.yaml": `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - deployment.yaml
  - configmap.yaml
`,
		"apps/base/deployment.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: web
          image: nginx:1.27
`,
		"apps/base/configmap.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: web-settings
data:
  LOG_LEVEL: info
`,
	}
	for env, v := range map[string]struct{ replicas, level string }{
		"production": {"3", "warn"}, "staging": {"2", "info"}, "development": {"1", "debug"},
	} {
		files["apps/"+env+"/kustomization.yaml"] = `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../base
labels:
  - pairs:
      environment: ` + env + `
patches:
  - target:
      kind: Deployment
      name: web
    patch: |-
      - op: replace
        path: /spec/replicas
        value: ` + v.replicas + `
  - target:
      kind: ConfigMap
      name: web-settings
    patch: |-
      - op: replace
        path: /data/LOG_LEVEL
        value: ` + v.level + `
`
	}
	return files
}

// fixture is one test's namespace and Git repository.
type fixture struct{ *testenv.Fixture }

// newFixture creates a namespace and a repository holding files, committed.
func newFixture(t *testing.T, files map[string]string) *fixture {
	t.Helper()
	return &fixture{env.NewFixture(t, files)}
}

// sourceYAML is a Flux v1 GitRepository "app" of the fixture's repository.
const sourceYAML = `apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: app
  namespace: {{ns}}
spec:
  interval: 1h
  url: {{url}}
  ref:
    branch: main`

// sync creates a Flux v1 GitRepository "app" for the fixture's repository
// and a Kustomization "app" building path into the fixture's namespace.
func (f *fixture) sync(path string, prune bool) {
	f.T.Helper()
	f.ApplyYAML(sourceYAML + fmt.Sprintf(`
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: app
  namespace: {{ns}}
spec:
  interval: 1h
  retryInterval: 1h
  path: %q
  prune: %t
  targetNamespace: {{ns}}
  sourceRef:
    kind: GitRepository
    name: app`, path, prune))
}

// kustomization returns the fixture's Kustomization "app".
func (f *fixture) kustomization() *kustomizev1.Kustomization {
	f.T.Helper()
	ks := &kustomizev1.Kustomization{}
	if err := env.Client.Get(context.Background(), testenv.Key(f.NS, "app"), ks); err != nil {
		f.T.Fatal(err)
	}
	return ks
}

func replace(s, old, new string) string { return strings.Replace(s, old, new, 1) }
