package uibrowser

import (
	"context"
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/api/meta"
	"github.com/ferrycd/ferry/internal/testenv"
)

// appFiles is a repository whose deploy/ applies two ConfigMaps, which an
// API-only plane makes ready at once.
func appFiles(level string) map[string]string {
	return map[string]string{
		"deploy/kustomization.yaml": `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - settings.yaml
  - flags.yaml
`,
		"deploy/settings.yaml": fmt.Sprintf(`apiVersion: v1
kind: ConfigMap
metadata:
  name: web-settings
data:
  LOG_LEVEL: %s
`, level),
		"deploy/flags.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: web-flags
data:
  NEW_CHECKOUT: "false"
`,
	}
}

// missingPath is a path that appFiles does not have.
const missingPath = "./no/such/dir"

// gitRepository creates the GitRepository "app" of the fixture's
// repository. Intervals are an hour: what a test sees happen, it caused.
func gitRepository(f *testenv.Fixture) {
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

// kustomization creates a Kustomization name of the GitRepository "app"
// applying path into the fixture's namespace, after the Kustomizations
// of its namespace named by dependsOn.
func kustomization(f *testenv.Fixture, name, path string, dependsOn ...string) {
	f.T.Helper()
	deps := ""
	if len(dependsOn) > 0 {
		deps = "\n  dependsOn:"
		for _, d := range dependsOn {
			deps += "\n    - name: " + d
		}
	}
	f.ApplyYAML(fmt.Sprintf(`apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: %s
  namespace: {{ns}}
spec:
  interval: 1h
  retryInterval: 1h
  path: %q
  prune: true
  targetNamespace: {{ns}}%s
  sourceRef:
    kind: GitRepository
    name: app`, name, path, deps))
}

// ready waits for the Kustomization name to apply the fixture's head.
func ready(f *testenv.Fixture, name string) *kustomizev1.Kustomization {
	f.T.Helper()
	return f.WaitForKS(f.NS, name, "ready", testenv.KustomizationReady(f.Head()))
}

// failed waits for the Kustomization name to fail on a missing path.
func failed(f *testenv.Fixture, name string) *kustomizev1.Kustomization {
	f.T.Helper()
	return f.WaitForKS(f.NS, name, "failed", testenv.KustomizationFailed(meta.ArtifactFailedReason, f.Head()))
}

// fixtureIn is env.NewFixture in a namespace of a fixed name, for the
// screenshots, which should not show generated names.
func fixtureIn(t *testing.T, ns string, files map[string]string) *testenv.Fixture {
	t.Helper()
	n := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}
	if err := env.Client.Create(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Client.Delete(context.Background(), n) })
	path := "org/" + ns
	repo, err := env.Git.InitRepo(path, "main")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := repo.CommitFiles("initial", files); err != nil {
		t.Fatal(err)
	}
	return &testenv.Fixture{T: t, Env: env, NS: ns, Repo: repo, URL: env.Git.RepoURL(path)}
}
