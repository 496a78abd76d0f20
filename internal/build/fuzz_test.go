package build

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// confinementFixture makes a root holding links that stay inside, links that
// escape (to a file, to a directory, dangling), and a link loop, next to a
// directory outside the root with a Secret in it.
func confinementFixture(f *testing.F) (root, outside string) {
	base := f.TempDir()
	root = filepath.Join(base, "root")
	outside = filepath.Join(base, "outside")
	for _, d := range []string{root + "/app/sub", outside} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			f.Fatal(err)
		}
	}
	files := map[string]string{
		root + "/app/cm.yaml":           "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: inside\n",
		outside + "/secret.yaml":        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: stolen\n",
		outside + "/kustomization.yaml": "resources: [secret.yaml]\n",
	}
	for p, c := range files {
		if err := os.WriteFile(p, []byte(c), 0o644); err != nil {
			f.Fatal(err)
		}
	}
	links := map[string]string{
		root + "/app/inside.yaml": "cm.yaml",
		root + "/app/sub/up":      "..",
		root + "/app/escape":      "../../outside",
		root + "/app/abs":         outside + "/secret.yaml",
		root + "/app/dangling":    "../../nowhere/x.yaml",
		root + "/app/loop":        "loop",
	}
	for link, target := range links {
		if err := os.Symlink(target, link); err != nil {
			f.Fatal(err)
		}
	}
	return root, outside
}

// FuzzResolve checks that no path resolves to a location outside the root.
func FuzzResolve(f *testing.F) {
	root, _ := confinementFixture(f)
	for _, s := range []string{"", ".", "/", "..", "../..", "app", "app/cm.yaml", "app/inside.yaml", "app/sub/up/cm.yaml",
		"app/escape", "app/escape/secret.yaml", "app/abs", "app/dangling", "app/loop", "app/sub/up/escape/../outside",
		"/etc/passwd", "app/../../outside/secret.yaml", "app/cm.yaml/x", root + "/app", root + "/../outside"} {
		f.Add(s)
	}
	c, err := newConfinedFS(root)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, path string) {
		if strings.ContainsRune(path, 0) {
			return
		}
		real, err := c.resolve(path)
		if err != nil {
			return
		}
		if !inside(c.root, real) {
			t.Fatalf("resolve(%q) = %q, outside the root %q", path, real, c.root)
		}
		if evaluated, err := filepath.EvalSymlinks(real); err == nil && !inside(c.root, evaluated) {
			t.Fatalf("resolve(%q) = %q, which evaluates to %q outside the root", path, real, evaluated)
		}
		if data, err := c.ReadFile(path); err == nil && strings.Contains(string(data), "stolen") {
			t.Fatalf("ReadFile(%q) read a file outside the root", path)
		}
	})
}

// FuzzBuildPath checks that no Options.Path builds anything from outside the root.
func FuzzBuildPath(f *testing.F) {
	root, _ := confinementFixture(f)
	for _, s := range []string{"", "app", "./app", "app/sub/up", "app/escape", "../outside", "app/sub/up/escape", "/", "app/loop"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, path string) {
		if strings.ContainsRune(path, 0) {
			return
		}
		objs, err := Build(context.Background(), Options{Root: root, Path: path})
		if err != nil {
			return
		}
		for _, o := range objs {
			if o.GetName() == "stolen" {
				t.Fatalf("Build(%q) read a manifest from outside the root", path)
			}
		}
	})
}

// FuzzSubstitute checks that substitution never panics, that a reported
// unset variable really has no value, and that an error never shows a
// sensitive value.
func FuzzSubstitute(f *testing.F) {
	for _, s := range []string{"${A}", "${B:=x}", "$${A}", "${A", "${}", "${A:=${B}}", "${A/x/y}", "${#A}", "$A $$", "${A^^} ${A,,}",
		"plain", "${SECRET}: {", "key: ${SECRET}", "${A:0:1}", "${A:?}", "\"${A}\""} {
		f.Add(s, "value")
	}
	f.Fuzz(func(t *testing.T, data, value string) {
		vars := map[string]string{"A": value, "SECRET": "hunter2-" + value}
		obj := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "ConfigMap",
			"metadata": map[string]any{"name": "x"}, "data": map[string]any{"k": data}}}
		s := &Substitution{Vars: vars, Sensitive: []string{vars["SECRET"]}}
		_, missing, err := substitute(obj, s)
		for _, m := range missing {
			if _, ok := vars[m]; ok {
				t.Fatalf("%q reported unset, but it has a value", m)
			}
		}
		if err != nil && strings.Contains(s.Mask(err.Error()), vars["SECRET"]) {
			t.Fatalf("error shows the secret: %v", err)
		}
	})
}
