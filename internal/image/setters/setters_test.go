package setters

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func write(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func read(t *testing.T, root, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(name)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var policies = map[string]Ref{
	"flux-system:web": {Name: "ghcr.io/acme/web", Tag: "1.4.2"},
	"flux-system:api": {Name: "ghcr.io/acme/api", Tag: "2.1.0", Digest: "sha256:0123abcd"},
}

func TestApplyKeepsEverythingButTheValues(t *testing.T) {
	root := t.TempDir()
	files := map[string]string{
		"apps/deploy.yaml": `# the web front end
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: apps
spec:
  template:
    spec:
      containers:
      - name: app   # an indentless sequence, kept
        image: ghcr.io/acme/web:1.4.1 # {"$imagepolicy": "flux-system:web"}

      - name: sidecar
        image:   "ghcr.io/acme/api:2.0.0" #{"$imagepolicy":"flux-system:api"}
`,
		"apps/release.yaml": `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: api}
spec:
  values:
    image:
      repository: 'ghcr.io/acme/old-api' # {"$imagepolicy": "flux-system:api:name"}
      tag: 2.0.0 # {"$imagepolicy": "flux-system:api:tag"}
      digest: "" # {"$imagepolicy": "flux-system:api:digest"}
      other: 1.0.0 # {"$imagepolicy": "elsewhere:api:tag"}
      bad: 1.0.0 # {"$imagepolicy": "flux-system:api:foo"}
`,
		"apps/multi.yaml": `apiVersion: v1
kind: ConfigMap
metadata: {name: first}
data: {image: "nginx:1"}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: second, namespace: apps}
data:
  image: ghcr.io/acme/web:1.0.0 # {"$imagepolicy": "flux-system:web"}
`,
		"apps/kustomization.yaml": `resources: [deploy.yaml]
images:
  - name: web
    newName: ghcr.io/acme/web # {"$imagepolicy": "flux-system:web:name"}
    newTag: 1.4.2 # {"$imagepolicy": "flux-system:web:tag"}
`,
		"apps/template.yaml": "image: {{ .Values.image }} # {\"$imagepolicy\": \"flux-system:web\"}\n  bad: [\n",
		"apps/notes.txt":     `image: ghcr.io/acme/web:1.0.0 # {"$imagepolicy": "flux-system:web"}`,
		".hidden/x.yaml":     `image: ghcr.io/acme/web:1.0.0 # {"$imagepolicy": "flux-system:web"}`,
	}
	write(t, root, files)
	before, _ := os.Stat(filepath.Join(root, "apps/kustomization.yaml"))

	// A dry run finds the same changes and writes nothing.
	dry, err := Apply(root, "", policies, Options{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	for name, content := range files {
		if got := read(t, root, name); got != content {
			t.Errorf("the dry run wrote %s", name)
		}
	}

	res, err := Apply(root, "", policies, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"apps/deploy.yaml": strings.NewReplacer("web:1.4.1 #", "web:1.4.2 #", `"ghcr.io/acme/api:2.0.0"`, `"ghcr.io/acme/api:2.1.0@sha256:0123abcd"`).Replace(files["apps/deploy.yaml"]),
		"apps/release.yaml": strings.NewReplacer(`'ghcr.io/acme/old-api'`, `'ghcr.io/acme/api'`, "tag: 2.0.0 #", "tag: 2.1.0 #",
			`digest: "" #`, `digest: "sha256:0123abcd" #`).Replace(files["apps/release.yaml"]),
		"apps/multi.yaml":         strings.Replace(files["apps/multi.yaml"], "web:1.0.0", "web:1.4.2", 1),
		"apps/kustomization.yaml": files["apps/kustomization.yaml"],
		"apps/template.yaml":      files["apps/template.yaml"],
		"apps/notes.txt":          files["apps/notes.txt"],
		".hidden/x.yaml":          files[".hidden/x.yaml"],
	}
	for name, content := range want {
		if got := read(t, root, name); got != content {
			t.Errorf("%s:\n%s\nwant:\n%s", name, got, content)
		}
	}
	if after, _ := os.Stat(filepath.Join(root, "apps/kustomization.yaml")); !after.ModTime().Equal(before.ModTime()) {
		t.Error("a file already up to date was written")
	}
	if got := strings.Join(res.Files(), ","); got != "apps/deploy.yaml,apps/multi.yaml,apps/release.yaml" {
		t.Errorf("Files() = %s", got)
	}
	if got := strings.Join(res.Skipped, ","); got != "apps/template.yaml" {
		t.Errorf("Skipped = %s", got)
	}
	second := ObjectIdentifier{APIVersion: "v1", Kind: "ConfigMap", Name: "second", Namespace: "apps"}
	if c := res.FileChanges["apps/multi.yaml"][second]; len(c) != 1 || c[0] != (Change{OldValue: "ghcr.io/acme/web:1.0.0", NewValue: "ghcr.io/acme/web:1.4.2", Setter: "flux-system:web"}) {
		t.Errorf("multi.yaml changes = %+v", res.FileChanges["apps/multi.yaml"])
	}
	hr := ObjectIdentifier{APIVersion: "helm.toolkit.fluxcd.io/v2", Kind: "HelmRelease", Name: "api"}
	if got := len(res.Objects()[hr]); got != 3 {
		t.Errorf("HelmRelease changes = %+v", res.Objects()[hr])
	}
	if len(dry.Changes()) != len(res.Changes()) || strings.Join(dry.Files(), ",") != strings.Join(res.Files(), ",") {
		t.Errorf("the dry run found %v in %v, the run %v in %v", dry.Changes(), dry.Files(), res.Changes(), res.Files())
	}
	if got := len(res.Changes()); got != 6 {
		t.Errorf("%d changes, want 6: %+v", got, res.Changes())
	}
	if c := res.Changes()[0]; c.Setter != "flux-system:web" || c.NewValue != "ghcr.io/acme/web:1.4.2" {
		t.Errorf("first change (deploy.yaml, first marker) = %+v", c)
	}
}

func TestApplyQuotesWhatWouldNotBeAString(t *testing.T) {
	root := t.TempDir()
	write(t, root, map[string]string{"v.yaml": "tag: v1.0 # {\"$imagepolicy\": \"ns:app:tag\"}\n"})
	if _, err := Apply(root, ".", map[string]Ref{"ns:app": {Name: "app", Tag: "1.10"}}, Options{}); err != nil {
		t.Fatal(err)
	}
	if got := read(t, root, "v.yaml"); got != "tag: \"1.10\" # {\"$imagepolicy\": \"ns:app:tag\"}\n" {
		t.Errorf("got %q: a plain 1.10 would read back as the number 1.1", got)
	}
}

func TestApplyConfinement(t *testing.T) {
	root, outside := t.TempDir(), t.TempDir()
	write(t, outside, map[string]string{"x.yaml": `image: a:1 # {"$imagepolicy": "flux-system:web"}` + "\n"})
	write(t, root, map[string]string{"apps/ok.yaml": "a: b\n"})
	if err := os.Symlink(filepath.Join(outside, "x.yaml"), filepath.Join(root, "apps/link.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(root, "linkdir")); err != nil {
		t.Fatal(err)
	}
	res, err := Apply(root, "", policies, Options{})
	if err != nil || len(res.FileChanges) != 0 {
		t.Fatalf("Apply = %+v, %v", res, err)
	}
	if got := read(t, outside, "x.yaml"); !strings.Contains(got, "a:1") {
		t.Errorf("a file outside the root was edited through a symlink: %s", got)
	}
	for _, p := range []string{"../", "apps/../..", "/etc", "linkdir"} {
		if _, err := Apply(root, p, policies, Options{}); !errors.Is(err, ErrPath) {
			t.Errorf("Apply(path %q) = %v, want ErrPath", p, err)
		}
	}
	write(t, root, map[string]string{"many/a.yaml": "a: 1\n", "many/b.yaml": "a: 1\n"})
	if _, err := Apply(root, "many", policies, Options{MaxFiles: 1}); err == nil || !strings.Contains(err.Error(), "more than 1 YAML files") {
		t.Errorf("MaxFiles: %v", err)
	}
}

func TestMarkers(t *testing.T) {
	root := t.TempDir()
	write(t, root, map[string]string{"a.yaml": "x: 1\n---\nimage: web:1 # {\"$imagepolicy\": \"ns:web\"}\n"})
	m, err := Markers(root, "", Options{})
	if err != nil || len(m) != 1 || m[0] != (Marker{File: "a.yaml", Line: 3, Setter: "ns:web", Value: "web:1"}) {
		t.Errorf("Markers = %+v, %v", m, err)
	}
}
