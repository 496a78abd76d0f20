package build

import (
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// render returns objs as a multi-document YAML stream.
func render(t *testing.T, objs []*unstructured.Unstructured) string {
	t.Helper()
	var docs []string
	for _, o := range objs {
		b, err := yaml.Marshal(o.Object)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, string(b))
	}
	return strings.Join(docs, "---\n")
}

// ids returns "Kind/namespace/name" for each object, sorted.
func ids(objs []*unstructured.Unstructured) []string {
	var out []string
	for _, o := range objs {
		out = append(out, o.GetKind()+"/"+o.GetNamespace()+"/"+o.GetName())
	}
	slices.Sort(out)
	return out
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name+".yaml")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("build output differs from %s (run go test -update to accept):\n%s", path, got)
	}
}

// TestBuildOverlays builds the base and the three environment overlays of a
// seed-style repository; the golden files show the values each gets.
func TestBuildOverlays(t *testing.T) {
	tests := map[string]struct {
		path     string
		replicas int64
		logLevel string
	}{
		"base":        {path: "apps/base", replicas: 1, logLevel: "info"},
		"production":  {path: "./apps/production", replicas: 3, logLevel: "warn"},
		"staging":     {path: "apps/staging/", replicas: 2, logLevel: "info"},
		"development": {path: "/apps/development", replicas: 1, logLevel: "debug"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			objs, err := Build(context.Background(), Options{Root: "testdata/repo", Path: tt.path})
			if err != nil {
				t.Fatal(err)
			}
			golden(t, name, render(t, objs))
			for _, o := range objs {
				switch o.GetKind() {
				case "Deployment":
					if r, _, _ := unstructured.NestedInt64(o.Object, "spec", "replicas"); r != tt.replicas {
						t.Errorf("replicas = %d, want %d", r, tt.replicas)
					}
				case "ConfigMap":
					if l, _, _ := unstructured.NestedString(o.Object, "data", "LOG_LEVEL"); l != tt.logLevel {
						t.Errorf("LOG_LEVEL = %q, want %q", l, tt.logLevel)
					}
				}
			}
		})
	}
}

// TestBuildGeneratesKustomization builds a directory without a kustomization
// file: Kubernetes manifests are found recursively, other YAML is skipped, and
// a sub-directory with its own kustomization is built as a unit.
func TestBuildGeneratesKustomization(t *testing.T) {
	tests := map[string]struct {
		opts Options
		want []string
	}{
		"plain": {
			opts: Options{Root: "testdata/plain"},
			want: []string{
				"ConfigMap/plain/app-settings", // nested/app's kustomization applies its namePrefix
				"ConfigMap/plain/one",
				"ConfigMap/plain/two",
				"Namespace//plain",
				"Service/plain/nested",
			},
		},
		"target namespace": {
			opts: Options{Root: "testdata/plain", TargetNamespace: "team-a"},
			want: []string{
				"ConfigMap/team-a/app-settings",
				"ConfigMap/team-a/one",
				"ConfigMap/team-a/two",
				"Namespace//team-a", // kustomize's namespace transformer renames Namespace objects too
				"Service/team-a/nested",
			},
		},
		"target namespace over an existing kustomization": {
			opts: Options{Root: "testdata/repo", Path: "apps/production", TargetNamespace: "prod"},
			want: []string{
				"ConfigMap/prod/web-config-dfk4bdbtkk",
				"Deployment/prod/web",
				"Namespace//prod",
				"Service/prod/web",
			},
		},
		"empty directory": {
			opts: Options{Root: t.TempDir()},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			objs, err := Build(context.Background(), tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(objs); !slices.Equal(got, tt.want) {
				t.Errorf("objects:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

// TestBuildErrors checks that every failure names what is wrong and where.
func TestBuildErrors(t *testing.T) {
	tests := map[string]struct {
		path string
		is   error
		want []string
	}{
		"path missing": {
			path: "./apps/prod",
			is:   ErrPathNotFound,
			want: []string{"kustomization path not found: ./apps/prod"},
		},
		"path escaping the root": {
			path: "../..",
			is:   ErrPathOutsideRoot,
			want: []string{`"../.."`, "outside"},
		},
		"path escaping after a descent": {
			path: "plain/../../..",
			is:   ErrPathOutsideRoot,
		},
		"path is a file": {
			path: "repo/apps/base/deployment.yaml",
			want: []string{"repo/apps/base/deployment.yaml is not a directory"},
		},
		"invalid YAML in a listed resource": {
			path: "broken/invalid-yaml",
			want: []string{"bad.yaml", "yaml: line 4"},
		},
		"invalid YAML in a directory without kustomization": {
			path: "broken/invalid-yaml-plain",
			want: []string{"broken/invalid-yaml-plain/bad.yaml: invalid YAML"},
		},
		"unknown kustomization field": {
			path: "broken/unknown-field",
			want: []string{"broken/unknown-field/kustomization.yaml", `unknown field "resource"`, `did you mean "resources"`},
		},
		"postBuild in kustomization.yaml": {
			path: "broken/postbuild",
			want: []string{"broken/postbuild/kustomization.yaml", "postBuild is a field of the Flux Kustomization", "spec.postBuild"},
		},
		"Flux Kustomization named kustomization.yaml": {
			path: "broken/flux-kustomization",
			want: []string{"broken/flux-kustomization/kustomization.yaml is a Flux Kustomization", "rename it"},
		},
		"remote git base": {
			path: "broken/remote-git",
			want: []string{"broken/remote-git/kustomization.yaml", "github.com/kubernetes-sigs/kustomize", "remote bases are disabled"},
		},
		"remote URL": {
			path: "broken/remote-http",
			want: []string{"https://example.com/manifests/install.yaml", "remote bases are disabled"},
		},
		"helm charts": {
			path: "broken/helm-charts",
			want: []string{"helmCharts", "HelmRelease"},
		},
		"missing resource": {
			path: "broken/missing-resource",
			want: []string{"broken/missing-resource/does-not-exist.yaml"},
		},
	}
	root, err := filepath.Abs("testdata")
	if err != nil {
		t.Fatal(err)
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			objs, err := Build(context.Background(), Options{Root: "testdata", Path: tt.path})
			if err == nil {
				t.Fatalf("built %d objects, want an error", len(objs))
			}
			msg := err.Error()
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %q is not %v", msg, tt.is)
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not contain %q", msg, w)
				}
			}
			if strings.Contains(msg, root) {
				t.Errorf("error %q shows the absolute root", msg)
			}
			if strings.Contains(msg, "s3cr3t") || strings.Contains(msg, "user:") {
				t.Errorf("error %q shows credentials", msg)
			}
		})
	}
}

// TestBuildSymlinks checks that symlinks inside the root work and those that
// leave it are refused by name.
func TestBuildSymlinks(t *testing.T) {
	outside := t.TempDir()
	writeFile(t, filepath.Join(outside, "secret.yaml"), "apiVersion: v1\nkind: Secret\nmetadata:\n  name: stolen\n")
	writeFile(t, filepath.Join(outside, "kustomization.yaml"), "resources: [secret.yaml]\n")

	tests := map[string]struct {
		setup   func(t *testing.T, root string)
		path    string
		want    []string // object ids on success
		wantErr string
	}{
		"link inside the root": {
			setup: func(t *testing.T, root string) {
				writeFile(t, filepath.Join(root, "real/cm.yaml"), configMap("linked"))
				symlink(t, "../real/cm.yaml", filepath.Join(root, "app/cm.yaml"))
			},
			path: "app",
			want: []string{"ConfigMap//linked"},
		},
		"file link escaping in a generated kustomization": {
			setup: func(t *testing.T, root string) {
				symlink(t, filepath.Join(outside, "secret.yaml"), filepath.Join(root, "app/secret.yaml"))
			},
			path:    "app",
			wantErr: "symlink app/secret.yaml points outside the source root",
		},
		"file link escaping listed in a kustomization": {
			setup: func(t *testing.T, root string) {
				writeFile(t, filepath.Join(root, "app/kustomization.yaml"), "resources: [secret.yaml]\n")
				symlink(t, filepath.Join(outside, "secret.yaml"), filepath.Join(root, "app/secret.yaml"))
			},
			path:    "app",
			wantErr: "symlink app/secret.yaml points outside the source root",
		},
		"relative directory link escaping as a base": {
			setup: func(t *testing.T, root string) {
				rel, err := filepath.Rel(filepath.Join(root, "app"), outside)
				if err != nil {
					t.Fatal(err)
				}
				symlink(t, rel, filepath.Join(root, "app/base"))
				writeFile(t, filepath.Join(root, "app/kustomization.yaml"), "resources: [base]\n")
			},
			path:    "app",
			wantErr: "symlink app/base points outside the source root",
		},
		"build path is a link escaping": {
			setup: func(t *testing.T, root string) {
				symlink(t, outside, filepath.Join(root, "clusters"))
			},
			path:    "clusters",
			wantErr: "symlink clusters points outside the source root",
		},
		"dangling link escaping": {
			setup: func(t *testing.T, root string) {
				symlink(t, "/nonexistent/ferry/secret.yaml", filepath.Join(root, "app/secret.yaml"))
				writeFile(t, filepath.Join(root, "app/kustomization.yaml"), "resources: [secret.yaml]\n")
			},
			path:    "app",
			wantErr: "symlink app/secret.yaml points outside the source root",
		},
		"file outside the root by relative path": {
			setup: func(t *testing.T, root string) {
				rel, err := filepath.Rel(filepath.Join(root, "app"), filepath.Join(outside, "secret.yaml"))
				if err != nil {
					t.Fatal(err)
				}
				writeFile(t, filepath.Join(root, "app/kustomization.yaml"), "resources: ["+rel+"]\n")
			},
			path:    "app",
			wantErr: "outside the source root",
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			root := t.TempDir()
			if err := os.MkdirAll(filepath.Join(root, "app"), 0o755); err != nil {
				t.Fatal(err)
			}
			tt.setup(t, root)
			objs, err := Build(context.Background(), Options{Root: root, Path: tt.path})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
				}
				// Callers tell an escape from other failures by the error, not its text.
				if !errors.Is(err, ErrReadOutsideRoot) && !errors.Is(err, ErrPathOutsideRoot) {
					t.Errorf("error %v wraps neither ErrReadOutsideRoot nor ErrPathOutsideRoot", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(objs); !slices.Equal(got, tt.want) {
				t.Errorf("objects = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestBuildLeavesFilesAlone checks that generating or rewriting a
// kustomization happens in memory only.
func TestBuildLeavesFilesAlone(t *testing.T) {
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "plain/cm.yaml"), configMap("a"))
	kfile := "resources: [cm.yaml]\n"
	writeFile(t, filepath.Join(root, "kust/kustomization.yaml"), kfile)
	writeFile(t, filepath.Join(root, "kust/cm.yaml"), configMap("b"))
	for _, p := range []string{"plain", "kust"} {
		if _, err := Build(context.Background(), Options{Root: root, Path: p, TargetNamespace: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := os.Stat(filepath.Join(root, "plain/kustomization.yaml")); !os.IsNotExist(err) {
		t.Errorf("a kustomization.yaml was written to disk: %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(root, "kust/kustomization.yaml")); string(b) != kfile {
		t.Errorf("kustomization.yaml was modified on disk: %q", b)
	}
}

func TestBuildCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Build(ctx, Options{Root: "testdata/repo"}); !errors.Is(err, context.Canceled) {
		t.Errorf("error = %v, want context.Canceled", err)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

func configMap(name string) string {
	return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\n"
}
