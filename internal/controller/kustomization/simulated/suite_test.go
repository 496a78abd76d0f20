package simulated_test

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/ferrycd/ferry/internal/controller"
	"github.com/ferrycd/ferry/internal/testenv"
)

// The suite shares one simulated control plane (workloads become ready) and
// one manager running both the GitRepository and the Kustomization
// controllers; each test has its own repository and namespace. Intervals and
// the dependency retry are an hour, so whatever a test sees happen was
// triggered by a watch, not scheduled.
var env *testenv.Env

func TestMain(m *testing.M) {
	env = testenv.Start(testenv.Options{
		Simulated: true,
		GitServer: true,
		Manager: &controller.Options{
			Controllers:       []string{"gitrepository", "kustomization"},
			Concurrent:        4,
			DependencyRequeue: time.Hour,
		},
	})
	os.Exit(env.Run(m))
}

// fixture is one test's namespace and Git repository.
type fixture struct{ *testenv.Fixture }

// newFixture creates a namespace and a repository holding files, committed.
func newFixture(t *testing.T, files map[string]string) *fixture {
	t.Helper()
	return &fixture{env.NewFixture(t, files)}
}

// source creates a Flux v1 GitRepository "app" for the fixture's repository.
func (f *fixture) source() {
	f.T.Helper()
	f.ApplyYAML(`apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: app
  namespace: {{ns}}
spec:
  interval: 1h
  url: {{url}}
  ref:
    branch: main`)
}

// ks creates a Kustomization name in namespace ns, applying path of the
// fixture's GitRepository "app" into ns, with extra spec lines (indented by
// two spaces).
func (f *fixture) ks(ns, name, path, extra string) {
	f.T.Helper()
	f.ApplyYAML(fmt.Sprintf(`apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: %s
  namespace: %s
spec:
  interval: 1h
  retryInterval: 1h
  path: %q
  prune: true
  targetNamespace: %s
  sourceRef:
    kind: GitRepository
    name: app
    namespace: {{ns}}
%s`, name, ns, path, ns, extra))
}
