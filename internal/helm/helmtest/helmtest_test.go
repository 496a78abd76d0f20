package helmtest

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/common/util"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"helm.sh/helm/v4/pkg/engine"
	helmregistry "helm.sh/helm/v4/pkg/registry"
	repo "helm.sh/helm/v4/pkg/repo/v1"
)

func TestPackageLoads(t *testing.T) {
	c := Chart{
		Name: "demo", Version: "1.2.3", AppVersion: "4.5",
		Files: map[string]string{
			"crds/crd.yaml":    "kind: CustomResourceDefinition\n",
			"values-prod.yaml": "data: {env: prod}\n",
		},
		Dependencies: []Dependency{{Name: "sub", Version: "0.1.0", Repository: "file://charts/sub"}},
	}
	data := c.Package(t)
	if !bytes.Equal(data, c.Package(t)) {
		t.Fatal("Package is not deterministic")
	}
	ch, err := loader.LoadArchive(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if ch.Name() != "demo" || ch.Metadata.Version != "1.2.3" || ch.Metadata.AppVersion != "4.5" {
		t.Fatalf("metadata: %+v", ch.Metadata)
	}
	if len(ch.Metadata.Dependencies) != 1 || ch.Metadata.Dependencies[0].Repository != "file://charts/sub" {
		t.Fatalf("dependencies: %+v", ch.Metadata.Dependencies)
	}
	if len(ch.CRDObjects()) != 1 {
		t.Fatalf("crds: %v", ch.CRDObjects())
	}
	names := tarNames(t, data)
	for _, n := range names {
		if !strings.HasPrefix(n, "demo/") {
			t.Fatalf("entry %q not under demo/", n)
		}
	}
}

func TestDefaultTemplateRenders(t *testing.T) {
	ch, err := loader.LoadArchive(bytes.NewReader(Chart{Name: "demo", Version: "1.0.0", Values: "data:\n  greeting: hello\n"}.Package(t)))
	if err != nil {
		t.Fatal(err)
	}
	vals, err := util.ToRenderValues(ch, map[string]any{}, common.ReleaseOptions{Name: "rel", Namespace: "ns"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	out, err := engine.Render(ch, vals)
	if err != nil {
		t.Fatal(err)
	}
	got := out["demo/templates/configmap.yaml"]
	for _, want := range []string{"name: rel-demo", "namespace: ns", "data:\n  greeting: hello"} {
		if !strings.Contains(got, want) {
			t.Errorf("rendered template lacks %q:\n%s", want, got)
		}
	}

	// Without .Values.data there is no data key.
	ch, err = loader.LoadArchive(bytes.NewReader(Chart{Name: "demo", Version: "1.0.0"}.Package(t)))
	if err != nil {
		t.Fatal(err)
	}
	vals, err = util.ToRenderValues(ch, map[string]any{}, common.ReleaseOptions{Name: "rel", Namespace: "ns"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	out, err = engine.Render(ch, vals)
	if err != nil {
		t.Fatal(err)
	}
	if got := out["demo/templates/configmap.yaml"]; strings.Contains(got, "\ndata:") {
		t.Errorf("rendered template has data:\n%s", got)
	}
}

func TestWriteDir(t *testing.T) {
	dir := t.TempDir()
	Chart{Name: "demo", Version: "1.0.0", Templates: map[string]string{"a.yaml": "kind: A\n"}}.WriteDir(t, dir)
	ch, err := loader.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ch.Templates) != 1 || ch.Templates[0].Name != "templates/a.yaml" {
		t.Fatalf("templates: %v", ch.Templates)
	}
}

func TestHTTPRepo(t *testing.T) {
	r := NewHTTPRepo(t, HTTPRepoOptions{Username: "user", Password: "pass", TLS: true})
	r.Add(t, Chart{Name: "demo", Version: "1.0.0"}, Chart{Name: "demo", Version: "1.1.0"})
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(r.CACert()) {
		t.Fatal("no CA")
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	get := func(path string, auth bool) (*http.Response, []byte) {
		req, _ := http.NewRequest(http.MethodGet, r.URL()+path, nil)
		if auth {
			req.SetBasicAuth("user", "pass")
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp, body
	}

	if resp, _ := get("/index.yaml", false); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("without credentials: %d", resp.StatusCode)
	}
	resp, body := get("/index.yaml", true)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("index: %d", resp.StatusCode)
	}
	path := filepath.Join(t.TempDir(), "index.yaml")
	if err := os.WriteFile(path, body, 0o644); err != nil {
		t.Fatal(err)
	}
	index, err := repo.LoadIndexFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cv, err := index.Get("demo", "")
	if err != nil {
		t.Fatal(err)
	}
	if cv.Version != "1.1.0" || cv.URLs[0] != "demo-1.1.0.tgz" || cv.Digest == "" {
		t.Fatalf("entry: %+v", cv)
	}
	if resp, _ := get("/"+cv.URLs[0], true); resp.StatusCode != http.StatusOK {
		t.Fatalf("chart: %d", resp.StatusCode)
	}
	if got := r.Requests("/index.yaml"); got != 2 {
		t.Fatalf("requests: %d", got)
	}

	before := r.Index()
	r.Add(t, Chart{Name: "demo", Version: "1.1.0"})
	if !bytes.Equal(before, r.Index()) {
		t.Fatal("adding the same chart changed the index")
	}

	r.SetDown(true)
	if resp, _ := get("/index.yaml", true); resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("down: %d", resp.StatusCode)
	}
	r.SetDown(false)
	if resp, _ := get("/index.yaml", true); resp.StatusCode != http.StatusOK {
		t.Fatalf("up again: %d", resp.StatusCode)
	}
}

func TestRegistry(t *testing.T) {
	if ConfigMediaType != helmregistry.ConfigMediaType || ChartLayerMediaType != helmregistry.ChartLayerMediaType {
		t.Fatal("media types differ from Helm's")
	}
	for label, opts := range map[string]RegistryOptions{"anonymous": {}, "basic auth": {Username: "u", Password: "p"}} {
		t.Run(label, func(t *testing.T) {
			r := NewRegistry(t, opts)
			c := Chart{Name: "demo", Version: "1.0.0+build.1"}
			digest := r.Push(t, c)
			if !strings.HasPrefix(r.URL(), "oci://127.0.0.1:") {
				t.Fatalf("URL %s", r.URL())
			}
			repoName, err := name.NewRepository(r.Host()+"/charts/demo", name.Insecure)
			if err != nil {
				t.Fatal(err)
			}
			auth := remote.WithAuth(authn.Anonymous)
			if opts.Username != "" {
				if _, err := remote.List(repoName, auth, remote.WithContext(context.Background())); err == nil {
					t.Fatal("anonymous list succeeded against an authenticated registry")
				}
				auth = remote.WithAuth(&authn.Basic{Username: "u", Password: "p"})
			}
			tags, err := remote.List(repoName, auth)
			if err != nil {
				t.Fatal(err)
			}
			if len(tags) != 1 || tags[0] != "1.0.0_build.1" {
				t.Fatalf("tags: %v", tags)
			}
			img, err := remote.Image(repoName.Tag(tags[0]), auth)
			if err != nil {
				t.Fatal(err)
			}
			d, _ := img.Digest()
			if d.String() != digest {
				t.Fatalf("digest %s, Push said %s", d, digest)
			}
			m, err := img.Manifest()
			if err != nil {
				t.Fatal(err)
			}
			if m.Config.MediaType != ConfigMediaType || len(m.Layers) != 1 || m.Layers[0].MediaType != ChartLayerMediaType {
				t.Fatalf("manifest: %+v", m)
			}
			layers, _ := img.Layers()
			rc, err := layers[0].Compressed()
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			ch, err := loader.LoadArchive(rc)
			if err != nil {
				t.Fatal(err)
			}
			if ch.Metadata.Version != "1.0.0+build.1" {
				t.Fatalf("version %s", ch.Metadata.Version)
			}
		})
	}
}
