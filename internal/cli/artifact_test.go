package cli

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ferrycd/ferry/internal/oci"
	"github.com/ferrycd/ferry/internal/oci/ocitest"
)

// artifactDir writes files into a new directory and returns it.
func artifactDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// readTree returns the regular files below dir, by slash-separated path.
func readTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	got := map[string]string{}
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || !info.Mode().IsRegular() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		got[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// noDockerConfig points the Docker config at an empty directory, so the
// tests never read the credentials of the machine's user.
func noDockerConfig(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir())
}

var manifests = map[string]string{
	"deploy.yaml":       "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n",
	"base/service.yaml": "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n",
}

// pushInfo runs push artifact --output=json and returns what it printed.
func pushInfo(t *testing.T, args ...string) map[string]string {
	t.Helper()
	stdout, stderr, code := ferry(t, append([]string{"push", "artifact", "--output=json"}, args...)...)
	if code != 0 {
		t.Fatalf("push exit %d: %s", code, stderr)
	}
	var info map[string]string
	if err := json.Unmarshal([]byte(stdout), &info); err != nil {
		t.Fatalf("push --output=json printed %q: %v", stdout, err)
	}
	return info
}

func TestArtifactPushPull(t *testing.T) {
	noDockerConfig(t)
	reg := ocitest.Start(t, ocitest.Options{})
	dir := artifactDir(t, manifests)
	url := reg.URL("apps/web") + ":v1"

	_, stderr, code := ferry(t, "push", "artifact", url, "--path="+dir, "--source=https://github.com/org/web",
		"--revision=main@sha1:0123456789abcdef0123456789abcdef01234567", "--insecure-registry")
	if code != 0 {
		t.Fatalf("push exit %d: %s", code, stderr)
	}
	mustContain(t, "push stderr", stderr, "► pushing artifact to "+reg.Host()+"/apps/web:v1\n",
		"✔ artifact successfully pushed to "+reg.Host()+"/apps/web@sha256:")

	out := t.TempDir()
	_, stderr, code = ferry(t, "pull", "artifact", url, "--output="+out, "--insecure-registry")
	if code != 0 {
		t.Fatalf("pull exit %d: %s", code, stderr)
	}
	mustContain(t, "pull stderr", stderr, "► pulling artifact from "+reg.Host()+"/apps/web:v1\n",
		"✔ source https://github.com/org/web\n", "✔ revision main@sha1:0123456789abcdef0123456789abcdef01234567\n",
		"✔ digest "+reg.Host()+"/apps/web@sha256:", "✔ artifact content extracted to "+out+"\n")
	if got := readTree(t, out); len(got) != len(manifests) || got["deploy.yaml"] != manifests["deploy.yaml"] || got["base/service.yaml"] != manifests["base/service.yaml"] {
		t.Errorf("pulled %v, want %v", got, manifests)
	}

	// A single file is pushed alone, under its name.
	_, stderr, code = ferry(t, "push", "artifact", reg.URL("apps/one")+":v1", "--path="+filepath.Join(dir, "deploy.yaml"),
		"--source=s", "--revision=r", "--insecure-registry")
	if code != 0 {
		t.Fatalf("push file exit %d: %s", code, stderr)
	}
	out = t.TempDir()
	if _, stderr, code = ferry(t, "pull", "artifact", reg.URL("apps/one")+":v1", "-o", out, "--insecure-registry"); code != 0 {
		t.Fatalf("pull exit %d: %s", code, stderr)
	}
	if got := readTree(t, out); len(got) != 1 || got["deploy.yaml"] != manifests["deploy.yaml"] {
		t.Errorf("pulled %v, want deploy.yaml alone", got)
	}
}

func TestArtifactPushReproducibleAndAnnotations(t *testing.T) {
	noDockerConfig(t)
	reg := ocitest.Start(t, ocitest.Options{})
	dir := artifactDir(t, manifests)
	args := []string{"--path=" + dir, "--source=https://github.com/org/web", "--revision=v1@sha1:abc", "--insecure-registry",
		"--reproducible", "--annotations=org.opencontainers.image.description=Production config", "-a", "team=web=1"}
	first := pushInfo(t, append([]string{reg.URL("apps/web") + ":v1"}, args...)...)
	second := pushInfo(t, append([]string{reg.URL("apps/web") + ":v2"}, args...)...)
	if first["digest"] == "" || first["digest"] != second["digest"] {
		t.Errorf("--reproducible pushes gave digests %q and %q, want one", first["digest"], second["digest"])
	}
	want := map[string]string{"url": "oci://" + reg.Host() + "/apps/web@" + first["digest"], "repository": reg.Host() + "/apps/web", "tag": "v1", "digest": first["digest"]}
	for k, v := range want {
		if first[k] != v {
			t.Errorf("--output=json %s = %q, want %q", k, first[k], v)
		}
	}

	c := oci.New(oci.Options{Insecure: true})
	u, err := oci.ParseArtifactURL(reg.URL("apps/web")+":v1", true)
	if err != nil {
		t.Fatal(err)
	}
	m, _, err := c.Manifest(context.Background(), u.Reference())
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		oci.SourceAnnotation:                   "https://github.com/org/web",
		oci.RevisionAnnotation:                 "v1@sha1:abc",
		oci.CreatedAnnotation:                  "1970-01-01T00:00:00Z",
		"org.opencontainers.image.description": "Production config",
		"team":                                 "web=1",
	} {
		if m.Annotations[k] != v {
			t.Errorf("annotation %s = %q, want %q", k, m.Annotations[k], v)
		}
	}
	if len(m.Layers) != 1 || m.Layers[0].MediaType != oci.ContentMediaType || m.Config.MediaType != oci.ConfigMediaType {
		t.Errorf("manifest layers %v, config %s; want one layer of Flux's media types", m.Layers, m.Config.MediaType)
	}

	// Without --reproducible, created is the time of the push.
	before := time.Now().UTC().Add(-time.Second)
	pushInfo(t, reg.URL("apps/web")+":now", "--path="+dir, "--source=s", "--revision=r", "--insecure-registry")
	u, _ = oci.ParseArtifactURL(reg.URL("apps/web")+":now", true)
	m, _, err = c.Manifest(context.Background(), u.Reference())
	if err != nil {
		t.Fatal(err)
	}
	created, err := time.Parse(time.RFC3339, m.Annotations[oci.CreatedAnnotation])
	if err != nil || created.Before(before.Truncate(time.Second)) {
		t.Errorf("created %q, want the time of the push (%v)", m.Annotations[oci.CreatedAnnotation], err)
	}

	// --output=yaml, the registry's address masked.
	stdout, stderr, code := ferry(t, append([]string{"push", "artifact", reg.URL("apps/web") + ":v1", "--output=yaml"}, args...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if stderr != "" {
		t.Errorf("--output=yaml printed progress: %s", stderr)
	}
	golden(t, "push_artifact_yaml.golden", []byte(strings.ReplaceAll(stdout, reg.Host(), "REGISTRY")))
}

func TestArtifactListAndTag(t *testing.T) {
	noDockerConfig(t)
	reg := ocitest.Start(t, ocitest.Options{})
	repo := reg.URL("apps/web")
	for i, tag := range []string{"1.0.0", "1.1.0", "2.0.0", "dev"} {
		dir := artifactDir(t, map[string]string{"deploy.yaml": "replicas: " + tag})
		pushInfo(t, repo+":"+tag, "--path="+dir, "--source=https://github.com/org/web",
			"--revision="+tag+"@sha1:"+strings.Repeat(string(rune('a'+i)), 40), "--insecure-registry", "--reproducible")
	}

	_, stderr, code := ferry(t, "tag", "artifact", repo+":2.0.0", "--tag=latest", "--tag", "stable", "--insecure-registry")
	if code != 0 {
		t.Fatalf("tag exit %d: %s", code, stderr)
	}
	mustContain(t, "tag stderr", stderr, "► tagging artifact\n", "✔ artifact tagged as "+reg.Host()+"/apps/web:latest\n",
		"✔ artifact tagged as "+reg.Host()+"/apps/web:stable\n")
	c := oci.New(oci.Options{Insecure: true})
	u, _ := oci.ParseArtifactURL(repo, true)
	var digests []string
	for _, tag := range []string{"2.0.0", "latest", "stable"} {
		res, err := c.Resolve(context.Background(), u.Repository, oci.Ref{Tag: tag})
		if err != nil {
			t.Fatal(err)
		}
		digests = append(digests, res.Digest.String())
	}
	if digests[0] != digests[1] || digests[0] != digests[2] {
		t.Errorf("2.0.0, latest and stable resolve to %v, want one digest", digests)
	}

	// The registry's port changes the widths of the columns: compare the
	// cells (the table itself is TestPrintArtifactTable's).
	mask := func(s string) string {
		s = strings.ReplaceAll(s, reg.Host(), "REGISTRY")
		return regexp.MustCompile(` {2,}`).ReplaceAllString(s, " | ")
	}
	for name, args := range map[string][]string{
		"list_artifacts.golden":        nil,
		"list_artifacts_semver.golden": {"--filter-semver=>=1.0.0"},
		"list_artifacts_regex.golden":  {"--filter-regex=^(dev|1\\..*)$"},
	} {
		t.Run(name, func(t *testing.T) {
			stdout, stderr, code := ferry(t, append([]string{"list", "artifacts", repo, "--insecure-registry"}, args...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			golden(t, name, []byte(mask(stdout)))
		})
	}
}

func TestArtifactDiff(t *testing.T) {
	noDockerConfig(t)
	reg := ocitest.Start(t, ocitest.Options{})
	dir := artifactDir(t, manifests)
	url := reg.URL("apps/web") + ":v1"
	pushInfo(t, url, "--path="+dir, "--source=s", "--revision=r", "--insecure-registry")

	_, stderr, code := ferry(t, "diff", "artifact", url, "--path="+dir, "--insecure-registry")
	if code != 0 {
		t.Fatalf("diff of the pushed directory: exit %d: %s", code, stderr)
	}
	mustContain(t, "stderr", stderr, "✔ no changes detected")

	// Ignored files make no difference.
	if err := os.WriteFile(filepath.Join(dir, "logo.png"), []byte("png"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, stderr, code = ferry(t, "diff", "artifact", url, "--path="+dir, "--insecure-registry"); code != 0 {
		t.Fatalf("diff with an ignored file: exit %d: %s", code, stderr)
	}

	if err := os.WriteFile(filepath.Join(dir, "deploy.yaml"), []byte("changed"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "new.yaml"), []byte("new"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "base/service.yaml")); err != nil {
		t.Fatal(err)
	}
	_, stderr, code = ferry(t, "diff", "artifact", url, "--path="+dir, "--insecure-registry")
	if code != 1 {
		t.Fatalf("diff of a changed directory: exit %d, want 1: %s", code, stderr)
	}
	mustContain(t, "stderr", stderr, "► deploy.yaml differs\n", "► new.yaml is only in the local content\n",
		"► base/service.yaml is only in the remote artifact\n", "✗ the remote artifact contents differs from the local one\n")
}

func TestArtifactCredentials(t *testing.T) {
	noDockerConfig(t)
	reg := ocitest.Start(t, ocitest.Options{Username: "robot", Password: "t0ken"})
	dir := artifactDir(t, manifests)
	url := reg.URL("apps/web") + ":v1"
	push := []string{"push", "artifact", url, "--path=" + dir, "--source=s", "--revision=r", "--insecure-registry"}

	_, stderr, code := ferry(t, push...)
	if code != 1 {
		t.Fatalf("anonymous push: exit %d, want 1: %s", code, stderr)
	}
	mustContain(t, "anonymous push", stderr, "authentication failed")

	_, stderr, code = ferry(t, append(push, "--creds=robot:hunter2")...)
	if code != 1 {
		t.Fatalf("wrong password: exit %d, want 1: %s", code, stderr)
	}
	mustContain(t, "wrong password", stderr, "authentication failed")
	if strings.Contains(stderr, "hunter2") {
		t.Errorf("the output reveals the password: %s", stderr)
	}

	stdout, stderr, code := ferry(t, append(push, "--creds=robot:t0ken")...)
	if code != 0 {
		t.Fatalf("push with --creds: exit %d: %s", code, stderr)
	}
	mustContain(t, "push with --creds", stderr, "► logging in to registry with credentials\n")
	if strings.Contains(stdout+stderr, "t0ken") {
		t.Errorf("the output reveals the password: %s%s", stdout, stderr)
	}

	// Without --creds, the Docker config of the user (docker login).
	cfg := t.TempDir()
	auth := base64.StdEncoding.EncodeToString([]byte("robot:t0ken"))
	if err := os.WriteFile(filepath.Join(cfg, "config.json"), []byte(`{"auths":{"`+reg.Host()+`":{"auth":"`+auth+`"}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DOCKER_CONFIG", cfg)
	out := t.TempDir()
	if _, stderr, code = ferry(t, "pull", "artifact", url, "--output="+out, "--insecure-registry"); code != 0 {
		t.Fatalf("pull with the Docker config: exit %d: %s", code, stderr)
	}
	if got := readTree(t, out); len(got) != len(manifests) {
		t.Errorf("pulled %v", got)
	}
	if _, stderr, code = ferry(t, "list", "artifacts", reg.URL("apps/web"), "--insecure-registry"); code != 0 {
		t.Fatalf("list with the Docker config: exit %d: %s", code, stderr)
	}
}

func TestArtifactTLSAndPlainHTTP(t *testing.T) {
	noDockerConfig(t)
	secure := ocitest.Start(t, ocitest.Options{TLS: true})
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(secure.CA())
	artifactTLS = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	t.Cleanup(func() { artifactTLS = nil })

	dir := artifactDir(t, manifests)
	url := secure.URL("apps/web") + ":v1"
	pushInfo(t, url, "--path="+dir, "--source=s", "--revision=r")
	out := t.TempDir()
	if _, stderr, code := ferry(t, "pull", "artifact", url, "--output="+out); code != 0 {
		t.Fatalf("pull over TLS: exit %d: %s", code, stderr)
	}
	if _, stderr, code := ferry(t, "diff", "artifact", url, "--path="+dir); code != 0 {
		t.Fatalf("diff over TLS: exit %d: %s", code, stderr)
	}

	// A plain-HTTP registry, even on loopback, needs --insecure-registry.
	plain := ocitest.Start(t, ocitest.Options{})
	for name, args := range map[string][]string{
		"push": {"push", "artifact", plain.URL("apps/web") + ":v1", "--path=" + dir, "--source=s", "--revision=r"},
		"pull": {"pull", "artifact", plain.URL("apps/web") + ":v1", "--output=" + t.TempDir()},
		"list": {"list", "artifacts", plain.URL("apps/web")},
		"tag":  {"tag", "artifact", plain.URL("apps/web") + ":v1", "--tag=latest"},
		"diff": {"diff", "artifact", plain.URL("apps/web") + ":v1", "--path=" + dir},
	} {
		_, stderr, code := ferry(t, args...)
		if code != 1 {
			t.Errorf("%s over plain HTTP: exit %d, want 1: %s", name, code, stderr)
		}
		mustContain(t, name, stderr, "pass --insecure-registry")
	}
	if n := plain.Requests("PUT", "manifests") + plain.Requests("GET", "manifests") + plain.Requests("HEAD", "manifests"); n != 0 {
		t.Errorf("the plain-HTTP registry answered %d manifest requests", n)
	}
}

func TestArtifactRefusals(t *testing.T) {
	noDockerConfig(t)
	dir := artifactDir(t, manifests)
	digest := "@sha256:" + strings.Repeat("0", 64)
	tests := map[string]struct {
		args []string
		want string
	}{
		"push without oci://":      {[]string{"push", "artifact", "ghcr.io/org/app:v1", "--path=" + dir, "--source=s", "--revision=r"}, "must start with oci://"},
		"push with credentials":    {[]string{"push", "artifact", "oci://robot:s3cret@ghcr.io/org/app:v1", "--path=" + dir, "--source=s", "--revision=r"}, "credentials do not belong in the URL"},
		"push to a digest":         {[]string{"push", "artifact", "oci://ghcr.io/org/app" + digest, "--path=" + dir, "--source=s", "--revision=r"}, "takes a tag, not a digest"},
		"push without source":      {[]string{"push", "artifact", "oci://ghcr.io/org/app:v1", "--path=" + dir, "--revision=r"}, "--source is required"},
		"push without revision":    {[]string{"push", "artifact", "oci://ghcr.io/org/app:v1", "--path=" + dir, "--source=s"}, "--revision is required"},
		"push without path":        {[]string{"push", "artifact", "oci://ghcr.io/org/app:v1", "--source=s", "--revision=r"}, "--path is required"},
		"push of a missing path":   {[]string{"push", "artifact", "oci://ghcr.io/org/app:v1", "--path=" + dir + "/nope", "--source=s", "--revision=r"}, "invalid path"},
		"push bad annotation":      {[]string{"push", "artifact", "oci://ghcr.io/org/app:v1", "--path=" + dir, "--source=s", "--revision=r", "-a", "novalue"}, "invalid annotation novalue"},
		"push bad output":          {[]string{"push", "artifact", "oci://ghcr.io/org/app:v1", "--path=" + dir, "--source=s", "--revision=r", "-o", "xml"}, `--output "xml" is not one of json, yaml`},
		"push bad creds":           {[]string{"push", "artifact", "oci://ghcr.io/org/app:v1", "--path=" + dir, "--source=s", "--revision=r", "--creds=:s3cret"}, "--creds: credentials must be"},
		"pull without output":      {[]string{"pull", "artifact", "oci://ghcr.io/org/app:v1"}, "--output is required"},
		"pull to a missing dir":    {[]string{"pull", "artifact", "oci://ghcr.io/org/app:v1", "-o", dir + "/nope"}, "invalid output path"},
		"pull with credentials":    {[]string{"pull", "artifact", "oci://robot:s3cret@ghcr.io/org/app:v1", "-o", dir}, "credentials do not belong in the URL"},
		"list with a tag":          {[]string{"list", "artifacts", "oci://ghcr.io/org/app:v1"}, "without a tag or digest"},
		"list bad semver":          {[]string{"list", "artifacts", "oci://ghcr.io/org/app", "--filter-semver=six"}, `--filter-semver "six" is not a semver range`},
		"list bad regex":           {[]string{"list", "artifacts", "oci://ghcr.io/org/app", "--filter-regex=("}, `--filter-regex "("`},
		"tag without tag":          {[]string{"tag", "artifact", "oci://ghcr.io/org/app:v1"}, "--tag is required"},
		"tag bad tag":              {[]string{"tag", "artifact", "oci://ghcr.io/org/app:v1", "--tag=-x"}, `--tag "-x" is not a valid OCI tag`},
		"diff without path":        {[]string{"diff", "artifact", "oci://ghcr.io/org/app:v1"}, "--path is required"},
		"diff with a bad URL":      {[]string{"diff", "artifact", "https://ghcr.io/org/app:v1", "--path=" + dir}, "must start with oci://"},
		"push without an argument": {[]string{"push", "artifact", "--path=" + dir, "--source=s", "--revision=r"}, "accepts 1 arg"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, stderr, code := ferry(t, tt.args...)
			if code != 1 {
				t.Fatalf("exit %d, want 1: %s", code, stderr)
			}
			mustContain(t, "stderr", stderr, tt.want)
			if strings.Contains(stderr, "s3cret") {
				t.Errorf("stderr reveals a credential: %s", stderr)
			}
		})
	}
}

// rawTarGz is a tar.gz of the entries as given, unchecked.
func rawTarGz(t *testing.T, entries ...tar.Header) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, h := range entries {
		content := "content of " + h.Name
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(content))
		}
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			if _, err := tw.Write([]byte(content)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestArtifactPullRefusesTraversal(t *testing.T) {
	noDockerConfig(t)
	reg := ocitest.Start(t, ocitest.Options{})
	c := oci.New(oci.Options{Insecure: true})
	parent := t.TempDir()
	out := filepath.Join(parent, "out")
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, entries := range map[string][]tar.Header{
		"dotdot":        {{Name: "ok.yaml", Typeflag: tar.TypeReg, Mode: 0o644}, {Name: "../evil.yaml", Typeflag: tar.TypeReg, Mode: 0o644}},
		"absolute":      {{Name: "/tmp/evil.yaml", Typeflag: tar.TypeReg, Mode: 0o644}},
		"escaping link": {{Name: "link", Typeflag: tar.TypeSymlink, Linkname: "../"}, {Name: "link/evil.yaml", Typeflag: tar.TypeReg, Mode: 0o644}},
	} {
		t.Run(name, func(t *testing.T) {
			img, err := oci.Image(rawTarGz(t, entries...), oci.ContentMediaType, nil)
			if err != nil {
				t.Fatal(err)
			}
			u, err := oci.ParseArtifactURL(reg.URL("evil/"+strings.ReplaceAll(name, " ", "-"))+":v1", true)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.Push(context.Background(), u.Reference(), img); err != nil {
				t.Fatal(err)
			}
			_, stderr, code := ferry(t, "pull", "artifact", "oci://"+u.Reference().String(), "--output="+out, "--insecure-registry")
			if code != 1 {
				t.Fatalf("exit %d, want 1: %s", code, stderr)
			}
			mustContain(t, "stderr", stderr, "extracting the artifact: untar")
			if _, err := os.Stat(filepath.Join(parent, "evil.yaml")); err == nil {
				t.Error("the artifact wrote outside the output directory")
			}
		})
	}
}

func TestArtifactPushRefusesEscapingSymlink(t *testing.T) {
	noDockerConfig(t)
	reg := ocitest.Start(t, ocitest.Options{})
	secret := artifactDir(t, map[string]string{"id_rsa": "PRIVATE KEY"})
	dir := artifactDir(t, manifests)
	if err := os.Symlink(filepath.Join(secret, "id_rsa"), filepath.Join(dir, "key.yaml")); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := ferry(t, "push", "artifact", reg.URL("apps/web")+":v1", "--path="+dir, "--source=s", "--revision=r", "--insecure-registry")
	if code != 1 {
		t.Fatalf("exit %d, want 1: %s", code, stderr)
	}
	mustContain(t, "stderr", stderr, "key.yaml: symlink points outside the directory")
	if n := reg.Requests("PUT", "manifests"); n != 0 {
		t.Errorf("%d manifests pushed, want none", n)
	}
}

func TestPrintArtifactTable(t *testing.T) {
	var buf bytes.Buffer
	err := printArtifactTable(&buf, [][4]string{
		{"ghcr.io/org/config/app:v1.0.0", "sha256:" + strings.Repeat("1a", 32), "https://github.com/org/config", "v1.0.0@sha1:" + strings.Repeat("a", 40)},
		{"ghcr.io/org/config/app:latest", "sha256:" + strings.Repeat("2b", 32), "", ""},
	})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "list_artifacts_table.golden", buf.Bytes())
}
