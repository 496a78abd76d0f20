package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
)

// TestBuildKustomization builds testdata/build/app with the spec of a
// Kustomization in the cluster: prefix, target namespace, commonMetadata,
// and postBuild variables from substitute and from a Secret, whose value
// is masked in the output like the Secret's own data.
func TestBuildKustomization(t *testing.T) {
	ns := env.NewNamespace(t, "build")
	ctx := context.Background()
	vars := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "vars", Namespace: ns},
		StringData: map[string]string{"TOKEN": "s3cr3t-token"},
	}
	if err := env.Client.Create(ctx, vars); err != nil {
		t.Fatal(err)
	}
	ks := &kustomizev1.Kustomization{
		ObjectMeta: metav1.ObjectMeta{Name: "app", Namespace: ns},
		Spec: kustomizev1.KustomizationSpec{
			Interval:        metav1.Duration{Duration: 600e9},
			Path:            "./app",
			SourceRef:       kustomizev1.CrossNamespaceSourceReference{Kind: "GitRepository", Name: "fleet"},
			Suspend:         true,
			TargetNamespace: ns,
			NamePrefix:      "staging-",
			CommonMetadata:  &kustomizev1.CommonMetadata{Labels: map[string]string{"env": "staging"}},
			PostBuild: &kustomizev1.PostBuild{
				Substitute:     map[string]string{"GREETING": "hello"},
				SubstituteFrom: []kustomizev1.SubstituteReference{{Kind: "Secret", Name: "vars"}},
			},
		},
	}
	if err := env.Client.Create(ctx, ks); err != nil {
		t.Fatal(err)
	}

	stdout, stderr, code := ferry(t, "-n", ns, "build", "kustomization", "app", "--path", "testdata/build/app")
	if code != 0 {
		t.Fatalf("build exited %d: %s", code, stderr)
	}
	for _, secret := range []string{"s3cr3t-token", "c3VwZXItc2VjcmV0", "super-secret", "admin"} {
		if strings.Contains(stdout+stderr, secret) {
			t.Errorf("build output reveals %q:\n%s", secret, stdout)
		}
	}
	golden(t, "build_kustomization.golden", []byte(strings.ReplaceAll(stdout, ns, "NAMESPACE")))

	// The output is valid Kubernetes YAML: the API server accepts every
	// object in a server-side dry run, as kubectl apply --dry-run=server.
	for _, doc := range strings.Split(stdout, "---\n") {
		if strings.TrimSpace(doc) == "" {
			continue
		}
		obj := &unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(doc), &obj.Object); err != nil {
			t.Fatalf("build output is not YAML: %v\n%s", err, doc)
		}
		if err := env.Client.Patch(ctx, obj, client.Apply, client.DryRunAll, client.FieldOwner("ferry-test"), client.ForceOwnership); err != nil {
			t.Errorf("the API server refuses %s/%s from the build output: %v", obj.GetKind(), obj.GetName(), err)
		}
	}

	// A missing variable is an error naming it.
	patch := client.MergeFrom(ks.DeepCopy())
	ks.Spec.PostBuild.Substitute = nil
	if err := env.Client.Patch(ctx, ks, patch); err != nil {
		t.Fatal(err)
	}
	_, stderr, code = ferry(t, "-n", ns, "build", "ks", "app", "--path", "testdata/build/app")
	if code != 1 {
		t.Fatalf("build without GREETING exited %d, want 1: %s", code, stderr)
	}
	mustContain(t, "stderr", stderr, "GREETING")
	if strings.Contains(stderr, "s3cr3t-token") {
		t.Errorf("the error reveals a Secret value: %s", stderr)
	}
}

// TestBuildKustomizationDryRun builds with a Kustomization read from a
// file, without a cluster: suffix, patches and substitute.
func TestBuildKustomizationDryRun(t *testing.T) {
	stdout, stderr, code := ferry(t, "--kubeconfig", "/nonexistent", "build", "kustomization", "app",
		"--path", "testdata/build/app", "--kustomization-file", "testdata/build/flux-kustomization.yaml", "--dry-run")
	if code != 0 {
		t.Fatalf("build --dry-run exited %d: %s", code, stderr)
	}
	golden(t, "build_kustomization_dry_run.golden", []byte(stdout))
}

func TestBuildKustomizationRefusals(t *testing.T) {
	ns := env.NewNamespace(t, "buildno")
	file := "--kustomization-file=testdata/build/flux-kustomization.yaml"
	tests := map[string]struct {
		args []string
		want string
	}{
		"no path":           {[]string{"app"}, "--path is required"},
		"missing path":      {[]string{"app", "--path=testdata/nope"}, "--path"},
		"file as path":      {[]string{"app", "--path=testdata/build/flux-kustomization.yaml"}, "is not a directory"},
		"dry run, no file":  {[]string{"app", "--path=testdata/build/app", "--dry-run"}, "--dry-run needs --kustomization-file"},
		"name not in file":  {[]string{"web", "--path=testdata/build/app", file, "--dry-run"}, `has no Kustomization named "web" (found other, app)`},
		"not in cluster":    {[]string{"app", "--path=testdata/build/app"}, "Kustomization '" + ns + "/app' not found"},
		"no kustomizations": {[]string{"app", "--path=testdata/build/app", "--kustomization-file=testdata/build/app/service.yaml", "--dry-run"}, "has no Flux Kustomization"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, stderr, code := ferry(t, append([]string{"-n", ns, "build", "kustomization"}, tt.args...)...)
			if code == 0 {
				t.Fatal("exit code 0, want failure")
			}
			mustContain(t, "stderr", stderr, tt.want)
		})
	}
}

// TestBuildKustomizationOverlay builds an overlay whose base is outside
// --path: inside a Git checkout the build reaches the base, as it would in
// the artifact; outside one it is confined to --path and says so.
func TestBuildKustomizationOverlay(t *testing.T) {
	files := map[string]string{
		"base/kustomization.yaml":             "resources:\n- cm.yaml\n",
		"base/cm.yaml":                        configMapYAML("settings", "base"),
		"overlays/staging/kustomization.yaml": "resources:\n- ../../base\nnamePrefix: staging-\ncommonLabels:\n  env: staging\n",
		"flux.yaml": "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\n" +
			"spec:\n  interval: 10m\n  path: ./overlays/staging\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: fleet\n  targetNamespace: staging\n",
	}
	checkout := t.TempDir()
	writeTree(t, checkout, files)
	if err := os.Mkdir(filepath.Join(checkout, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := ferry(t, "build", "ks", "apps", "--path", filepath.Join(checkout, "overlays", "staging"),
		"--kustomization-file", filepath.Join(checkout, "flux.yaml"), "--dry-run")
	if code != 0 {
		t.Fatalf("build of the overlay in a checkout exited %d: %s", code, stderr)
	}
	mustContain(t, "build output", stdout, "name: staging-settings", "namespace: staging", "value: base", "env: staging")
	// A deprecated kustomize field still builds, with a warning on stderr.
	mustContain(t, "build warnings", stderr, "⚠ ", "commonLabels")

	plain := t.TempDir()
	writeTree(t, plain, files)
	_, stderr, code = ferry(t, "build", "ks", "apps", "--path", filepath.Join(plain, "overlays", "staging"),
		"--kustomization-file", filepath.Join(plain, "flux.yaml"), "--dry-run")
	if code != 1 {
		t.Fatalf("build of the overlay outside a checkout exited %d, want 1", code)
	}
	mustContain(t, "stderr", stderr, "is outside the source root", "the build is confined to the Git checkout --path is in")
}

// TestBuildKustomizationRecursive builds a Kustomization that applies two
// more: one from the same source (built from the same checkout) and one
// from another source, built only once given with --local-sources.
func TestBuildKustomizationRecursive(t *testing.T) {
	checkout := t.TempDir()
	writeTree(t, checkout, map[string]string{
		"clusters/staging/apps.yaml": `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: apps
  namespace: flux-system
spec:
  interval: 10m
  path: ./apps
  prune: true
  sourceRef:
    kind: GitRepository
    name: fleet
  postBuild:
    substitute:
      ENV: staging
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: infra
  namespace: flux-system
spec:
  interval: 10m
  path: ./infra
  prune: true
  sourceRef:
    kind: GitRepository
    name: infra-repo
`,
		"apps/cm.yaml": configMapYAML("apps-settings", "${ENV}"),
		"flux.yaml": `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: cluster
  namespace: flux-system
spec:
  interval: 10m
  path: ./clusters/staging
  prune: true
  sourceRef:
    kind: GitRepository
    name: fleet
`,
	})
	if err := os.Mkdir(filepath.Join(checkout, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	infra := t.TempDir()
	writeTree(t, infra, map[string]string{"infra/ns.yaml": "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: monitoring\n"})

	args := []string{"build", "ks", "cluster", "--path", filepath.Join(checkout, "clusters", "staging"),
		"--kustomization-file", filepath.Join(checkout, "flux.yaml"), "--dry-run", "--recursive"}
	stdout, stderr, code := ferry(t, args...)
	if code != 0 {
		t.Fatalf("recursive build exited %d: %s", code, stderr)
	}
	mustContain(t, "recursive build", stdout, "name: apps-settings", "value: staging", "kustomize.toolkit.fluxcd.io/name: apps")
	mustContain(t, "stderr", stderr, "skipping Kustomization 'flux-system/infra': its source GitRepository/flux-system/infra-repo is not local")

	stdout, stderr, code = ferry(t, append(args, "--local-sources", "GitRepository/flux-system/infra-repo="+infra)...)
	if code != 0 {
		t.Fatalf("recursive build with --local-sources exited %d: %s", code, stderr)
	}
	golden(t, "build_kustomization_recursive.golden", []byte(stdout))

	_, stderr, code = ferry(t, "build", "ks", "cluster", "--path", checkout, "--local-sources", "GitRepository/infra-repo="+infra)
	if code != 1 {
		t.Fatalf("a bad --local-sources exited %d, want 1", code)
	}
	mustContain(t, "stderr", stderr, "must be '<kind>/<namespace>/<name>=<dir>'")
}

// TestBuildKustomizationIgnorePaths leaves out what --ignore-paths names,
// as a GitRepository's spec.ignore leaves it out of the artifact, together
// with the checkout's .sourceignore.
func TestBuildKustomizationIgnorePaths(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"apps/kept.yaml":        configMapYAML("kept", "a"),
		"apps/drafts/wip.yaml":  configMapYAML("wip", "b"),
		"apps/local-only.yaml":  configMapYAML("local", "c"),
		"apps/.sourceignore":    "local-only.yaml\n",
		"flux.yaml":             "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\n  namespace: default\nspec:\n  interval: 10m\n  path: ./apps\n  sourceRef:\n    kind: GitRepository\n    name: fleet\n",
		"apps/notes/readme.txt": "not yaml\n",
	})
	build := func(extra ...string) string {
		t.Helper()
		stdout, stderr, code := ferry(t, append([]string{"build", "ks", "apps", "--path", filepath.Join(dir, "apps"),
			"--kustomization-file", filepath.Join(dir, "flux.yaml"), "--dry-run"}, extra...)...)
		if code != 0 {
			t.Fatalf("build %v exited %d: %s", extra, code, stderr)
		}
		return stdout
	}
	all := build()
	mustContain(t, "build without --ignore-paths", all, "name: kept", "name: wip")

	ignored := build("--ignore-paths", "drafts/")
	mustContain(t, "build with --ignore-paths", ignored, "name: kept")
	for _, gone := range []string{"name: wip", "name: local"} {
		if strings.Contains(ignored, gone) {
			t.Errorf("build with --ignore-paths drafts/ still has %q:\n%s", gone, ignored)
		}
	}
}
