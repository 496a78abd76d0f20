package chartregistry

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	helmregistry "helm.sh/helm/v4/pkg/registry"

	"github.com/ferrycd/ferry/internal/helm/repository"
)

// writeFiles writes files (slash paths relative to dir) below dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for p, content := range files {
		p = filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func startRegistry(t *testing.T, opts Options) *Registry {
	t.Helper()
	r, err := Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return r
}

// exampleCharts is a charts/ directory: a chart with a .helmignore and a
// "file://" dependency on its sibling, the sibling, a directory that is no
// chart and a plain file.
var exampleCharts = map[string]string{
	"app/Chart.yaml": `apiVersion: v2
name: app
version: 1.2.0+build.7
appVersion: "2.0"
description: An app
home: https://example.com/app
sources: [https://example.com/src, https://example.com/other]
maintainers:
  - name: Ann
    email: ann@example.com
  - name: Bob
annotations:
  example.com/team: web
  org.opencontainers.image.title: not the title
dependencies:
  - name: lib
    version: 0.1.x
    repository: file://../lib
`,
	"app/values.yaml":              "replicaCount: 1\n",
	"app/templates/configmap.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n",
	"app/.helmignore":              "notes.txt\n",
	"app/notes.txt":                "ignored\n",
	"lib/Chart.yaml":               "apiVersion: v2\nname: lib\nversion: 0.1.3\ntype: library\n",
	"lib/templates/_helpers.tpl":   `{{- define "lib.name" -}}lib{{- end -}}` + "\n",
	"docs/README.md":               "not a chart\n",
	"README.md":                    "the charts\n",
}

// TestPushDir packages a chart directory, pushes it and pulls it back with
// Helm's own registry client and with ferry's HelmChart puller: the tag,
// the media types, the annotations `helm push` writes, and a chart that
// holds its dependency and not its ignored file.
func TestPushDir(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, exampleCharts)
	r := startRegistry(t, Options{})
	ctx := context.Background()

	pushed, err := r.PushDir(ctx, filepath.Join(dir, "app"), PushOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wantRef := r.Host() + "/charts/app:1.2.0_build.7"
	if pushed.Name != "app" || pushed.Version != "1.2.0+build.7" || pushed.Ref != wantRef || !strings.HasPrefix(pushed.Digest, "sha256:") || pushed.Dir != filepath.Join(dir, "app") {
		t.Fatalf("pushed %+v, want app 1.2.0+build.7 at %s", pushed, wantRef)
	}
	again, err := r.PushDir(ctx, filepath.Join(dir, "app"), PushOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if again.Digest != pushed.Digest {
		t.Errorf("pushing the same chart again gave digest %s, first %s", again.Digest, pushed.Digest)
	}

	// The manifest as a registry client sees it.
	ref, err := name.NewTag(wantRef, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	img, err := remote.Image(ref, remote.WithAuth(authn.Anonymous))
	if err != nil {
		t.Fatal(err)
	}
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	if m.Config.MediaType != helmregistry.ConfigMediaType || len(m.Layers) != 1 || m.Layers[0].MediaType != helmregistry.ChartLayerMediaType {
		t.Errorf("manifest config %s, layers %+v; want Helm's media types", m.Config.MediaType, m.Layers)
	}
	wantAnnotations := map[string]string{
		"org.opencontainers.image.title":       "app",
		"org.opencontainers.image.version":     "1.2.0+build.7",
		"org.opencontainers.image.description": "An app",
		"org.opencontainers.image.url":         "https://example.com/app",
		"org.opencontainers.image.source":      "https://example.com/src",
		"org.opencontainers.image.authors":     "Ann (ann@example.com), Bob",
		"org.opencontainers.image.created":     "1970-01-01T00:00:00Z",
		"example.com/team":                     "web",
	}
	if len(m.Annotations) != len(wantAnnotations) {
		t.Errorf("annotations %v, want %v", m.Annotations, wantAnnotations)
	}
	for k, v := range wantAnnotations {
		if m.Annotations[k] != v {
			t.Errorf("annotation %s = %q, want %q", k, m.Annotations[k], v)
		}
	}

	// Helm pulls it.
	hc, err := helmregistry.NewClient(helmregistry.ClientOptPlainHTTP(), helmregistry.ClientOptCredentialsFile(filepath.Join(t.TempDir(), "config.json")))
	if err != nil {
		t.Fatal(err)
	}
	res, err := hc.Pull(wantRef)
	if err != nil {
		t.Fatalf("helm pull %s: %v", wantRef, err)
	}
	if res.Manifest.Digest != pushed.Digest {
		t.Errorf("helm pulled manifest %s, pushed %s", res.Manifest.Digest, pushed.Digest)
	}
	ch, err := loader.LoadArchive(bytes.NewReader(res.Chart.Data))
	if err != nil {
		t.Fatal(err)
	}
	if ch.Metadata.AppVersion != "2.0" || len(ch.Dependencies()) != 1 || ch.Dependencies()[0].Metadata.Version != "0.1.3" {
		t.Errorf("pulled chart %+v with dependencies %v", ch.Metadata, ch.Dependencies())
	}
	for _, f := range ch.Raw {
		if f.Name == "notes.txt" {
			t.Errorf("the chart holds notes.txt, which .helmignore excludes")
		}
	}

	// ferry's HelmChart controller pulls it, over plain HTTP with insecure.
	opts := repository.Options{URL: r.URL(), Insecure: true}
	version, err := repository.ResolveOCI(ctx, opts, "app", "1.x")
	if err != nil || version != "1.2.0+build.7" {
		t.Fatalf("ResolveOCI = %q, %v", version, err)
	}
	data, digest, err := repository.PullOCI(ctx, opts, "app", version)
	if err != nil {
		t.Fatal(err)
	}
	if digest != pushed.Digest || !bytes.Equal(data, res.Chart.Data) {
		t.Errorf("PullOCI digest %s (pushed %s), archive equal to Helm's: %v", digest, pushed.Digest, bytes.Equal(data, res.Chart.Data))
	}
}

// TestPushCharts pushes every chart directory of a charts/ directory; a
// broken chart is reported by its directory and does not stop the others.
func TestPushCharts(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, exampleCharts)
	writeFiles(t, dir, map[string]string{"broken/Chart.yaml": "apiVersion: v2\nname: broken\n"}) // no version
	r := startRegistry(t, Options{})

	dirs, err := ChartDirs(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(dir, "app"), filepath.Join(dir, "broken"), filepath.Join(dir, "lib")}
	if strings.Join(dirs, " ") != strings.Join(want, " ") {
		t.Errorf("ChartDirs = %v, want %v", dirs, want)
	}

	pushed, err := r.PushCharts(context.Background(), dir, PushOptions{})
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "broken")) || !strings.Contains(err.Error(), "version") {
		t.Errorf("PushCharts error %v, want one naming the broken chart and its missing version", err)
	}
	if len(pushed) != 2 || pushed[0].Name != "app" || pushed[1].Name != "lib" {
		t.Errorf("pushed %+v, want app and lib", pushed)
	}

	none, err := r.PushCharts(context.Background(), filepath.Join(dir, "missing"), PushOptions{})
	if err != nil || len(none) != 0 {
		t.Errorf("PushCharts of a missing directory = %v, %v; want nothing and no error", none, err)
	}
}

// TestBasicAuth checks that a registry with credentials refuses anonymous
// requests and that Push sends the credentials.
func TestBasicAuth(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, exampleCharts)
	r := startRegistry(t, Options{Username: "user", Password: "s3cret-pass"})
	if _, err := r.PushDir(context.Background(), filepath.Join(dir, "lib"), PushOptions{}); err != nil {
		t.Fatal(err)
	}
	repo, err := name.NewRepository(r.Host()+"/charts/lib", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := remote.List(repo, remote.WithAuth(authn.Anonymous)); err == nil {
		t.Error("an anonymous list succeeded")
	}
	tags, err := remote.List(repo, remote.WithAuth(&authn.Basic{Username: "user", Password: "s3cret-pass"}))
	if err != nil || len(tags) != 1 || tags[0] != "0.1.3" {
		t.Errorf("tags %v, %v", tags, err)
	}
}
