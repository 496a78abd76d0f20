package ferryimage

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/google/go-containerregistry/pkg/v1/validate"
)

// fixtures holds what every test builds from: a tiny static Go program per
// architecture standing in for ferry (compiling ferry itself takes minutes)
// and a CA bundle.
var fixtures struct {
	dir      string
	binaries map[string]string // GOARCH -> path
	caBundle string
}

// created is the fixed creation time the tests build with.
var created = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

const testCABundle = "-----BEGIN CERTIFICATE-----\nMIIB (a stand-in, never parsed)\n-----END CERTIFICATE-----\n"

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ferryimage-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code, err := setup(dir)
	if err == nil {
		code = m.Run()
	} else {
		fmt.Fprintln(os.Stderr, err)
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// setup compiles the stand-in binaries and writes the CA bundle into dir.
func setup(dir string) (int, error) {
	src := filepath.Join(dir, "main.go")
	if err := os.WriteFile(src, []byte("package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"ferry stand-in\") }\n"), 0o644); err != nil {
		return 1, err
	}
	fixtures.dir = dir
	fixtures.binaries = map[string]string{}
	for _, arch := range []string{"amd64", "arm64"} {
		out := filepath.Join(dir, "ferry-"+arch)
		cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w -buildid=", "-o", out, src)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+arch, "GOFLAGS=", "GOWORK=off")
		if b, err := cmd.CombinedOutput(); err != nil {
			return 1, fmt.Errorf("build stand-in binary for %s: %v\n%s", arch, err, b)
		}
		fixtures.binaries[arch] = out
	}
	fixtures.caBundle = filepath.Join(dir, "ca-certificates.crt")
	return 0, os.WriteFile(fixtures.caBundle, []byte(testCABundle), 0o600)
}

// testOptions returns the options of a build of the stand-in for arch.
func testOptions(arch string) Options {
	return Options{
		Binary:   fixtures.binaries[arch],
		Platform: v1.Platform{OS: "linux", Architecture: arch},
		Version:  "v1.2.3",
		Revision: "0123456789abcdef0123456789abcdef01234567",
		CABundle: fixtures.caBundle,
		Created:  created,
	}
}

// mustBuild builds opts and checks the result is a valid image.
func mustBuild(t *testing.T, opts Options) v1.Image {
	t.Helper()
	img, err := Build(opts)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	if err := validate.Image(img); err != nil {
		t.Fatalf("invalid image: %v", err)
	}
	return img
}

func TestBuildReproducible(t *testing.T) {
	first := mustBuild(t, testOptions("amd64"))
	second := mustBuild(t, testOptions("amd64"))
	d1, err := first.Digest()
	if err != nil {
		t.Fatal(err)
	}
	d2, err := second.Digest()
	if err != nil {
		t.Fatal(err)
	}
	if d1 != d2 {
		t.Fatalf("two builds of the same input differ: %s and %s", d1, d2)
	}

	// A copy of the binary elsewhere, with another mtime and mode, still
	// gives the same image: only the bytes count.
	copied := filepath.Join(t.TempDir(), "ferry")
	b, err := os.ReadFile(fixtures.binaries["amd64"])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(copied, b, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(copied, time.Now(), time.Now()); err != nil {
		t.Fatal(err)
	}
	opts := testOptions("amd64")
	opts.Binary = copied
	if d3, _ := mustBuild(t, opts).Digest(); d3 != d1 {
		t.Errorf("a copy of the binary gives %s, want %s", d3, d1)
	}

	// Another creation time is another image.
	opts.Created = created.Add(time.Hour)
	if d4, _ := mustBuild(t, opts).Digest(); d4 == d1 {
		t.Errorf("another creation time gives the same digest %s", d4)
	}
}

func TestBuildMediaTypes(t *testing.T) {
	img := mustBuild(t, testOptions("amd64"))
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	if m.MediaType != types.OCIManifestSchema1 {
		t.Errorf("manifest media type = %s, want %s", m.MediaType, types.OCIManifestSchema1)
	}
	if m.Config.MediaType != types.OCIConfigJSON {
		t.Errorf("config media type = %s, want %s", m.Config.MediaType, types.OCIConfigJSON)
	}
	if len(m.Layers) != 1 || m.Layers[0].MediaType != types.OCILayer {
		t.Errorf("layers = %+v, want one %s", m.Layers, types.OCILayer)
	}
}

// file is what TestBuildLayerContents expects of one tar entry.
type file struct {
	typ  byte
	mode int64
	data []byte // nil: not compared
}

func TestBuildLayerContents(t *testing.T) {
	binary, err := os.ReadFile(fixtures.binaries["arm64"])
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"etc/",
		"etc/group",
		"etc/passwd",
		"etc/ssl/",
		"etc/ssl/certs/",
		"etc/ssl/certs/ca-certificates.crt",
		"ferry",
		"tmp/",
	}
	wantFiles := map[string]file{
		"etc/":                              {tar.TypeDir, 0o755, nil},
		"etc/group":                         {tar.TypeReg, 0o644, []byte("root:x:0:\nnonroot:x:65532:\n")},
		"etc/passwd":                        {tar.TypeReg, 0o644, []byte("root:x:0:0:root:/:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/:/sbin/nologin\n")},
		"etc/ssl/":                          {tar.TypeDir, 0o755, nil},
		"etc/ssl/certs/":                    {tar.TypeDir, 0o755, nil},
		"etc/ssl/certs/ca-certificates.crt": {tar.TypeReg, 0o644, []byte(testCABundle)},
		"ferry":                             {tar.TypeReg, 0o755, binary},
		"tmp/":                              {tar.TypeDir, 0o1777, nil},
	}

	img := mustBuild(t, testOptions("arm64"))
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	if len(layers) != 1 {
		t.Fatalf("%d layers, want 1", len(layers))
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	var got []string
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, hdr.Name)
		w, ok := wantFiles[hdr.Name]
		if !ok {
			continue
		}
		if hdr.Typeflag != w.typ || hdr.Mode != w.mode {
			t.Errorf("%s: type %c mode %o, want type %c mode %o", hdr.Name, hdr.Typeflag, hdr.Mode, w.typ, w.mode)
		}
		if hdr.Uid != 0 || hdr.Gid != 0 || hdr.Uname != "" || hdr.Gname != "" {
			t.Errorf("%s: owner %d:%d (%q:%q), want 0:0", hdr.Name, hdr.Uid, hdr.Gid, hdr.Uname, hdr.Gname)
		}
		if !hdr.ModTime.Equal(created) {
			t.Errorf("%s: mtime %s, want %s", hdr.Name, hdr.ModTime, created)
		}
		if hdr.Format != tar.FormatUSTAR || len(hdr.PAXRecords) > 0 || !hdr.AccessTime.IsZero() || !hdr.ChangeTime.IsZero() {
			t.Errorf("%s: format %s, PAX records %v, atime %s, ctime %s; want plain ustar", hdr.Name, hdr.Format, hdr.PAXRecords, hdr.AccessTime, hdr.ChangeTime)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if w.data != nil && !bytes.Equal(data, w.data) {
			t.Errorf("%s: %d bytes differ from the %d expected", hdr.Name, len(data), len(w.data))
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("layer holds\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func TestBuildConfig(t *testing.T) {
	img := mustBuild(t, testOptions("arm64"))
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.OS != "linux" || cfg.Architecture != "arm64" {
		t.Errorf("platform = %s/%s, want linux/arm64", cfg.OS, cfg.Architecture)
	}
	if !cfg.Created.Time.Equal(created) {
		t.Errorf("created = %s, want %s", cfg.Created.Time, created)
	}
	want := v1.Config{
		Entrypoint: []string{"/ferry"},
		Cmd:        []string{"controller"},
		User:       "65532:65532",
		WorkingDir: "/",
		Env:        []string{"SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"},
		Labels: map[string]string{
			"org.opencontainers.image.title":       "ferry",
			"org.opencontainers.image.source":      "https://github.com/ferrycd/ferry",
			"org.opencontainers.image.version":     "v1.2.3",
			"org.opencontainers.image.revision":    "0123456789abcdef0123456789abcdef01234567",
			"org.opencontainers.image.description": "ferry, a GitOps engine for Kubernetes that serves Flux's API in one binary",
		},
	}
	if !reflect.DeepEqual(cfg.Config, want) {
		t.Errorf("config =\n  %+v\nwant\n  %+v", cfg.Config, want)
	}
	if len(cfg.History) != 1 || !cfg.History[0].Created.Time.Equal(created) {
		t.Errorf("history = %+v, want one entry created %s", cfg.History, created)
	}
}

func TestBuildCreatedDefaultsToEpoch(t *testing.T) {
	opts := testOptions("amd64")
	opts.Created = time.Time{}
	cfg, err := mustBuild(t, opts).ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Created.Unix() != 0 {
		t.Errorf("created = %s, want the Unix epoch", cfg.Created.Time)
	}
}

func TestBuildErrors(t *testing.T) {
	tests := map[string]struct {
		change func(*Options)
		want   string
	}{
		"no binary": {
			change: func(o *Options) { o.Binary = "" },
			want:   "build image: no binary given",
		},
		"missing binary": {
			change: func(o *Options) { o.Binary = filepath.Join(fixtures.dir, "nope") },
			want:   "build image: binary: stat " + filepath.Join(fixtures.dir, "nope") + ": no such file or directory",
		},
		"binary is a directory": {
			change: func(o *Options) { o.Binary = fixtures.dir },
			want:   "build image: binary: read " + fixtures.dir + ": not a regular file",
		},
		"missing CA bundle": {
			change: func(o *Options) { o.CABundle = "/nonexistent/ca.crt" },
			want:   "build image: CA bundle: stat /nonexistent/ca.crt: no such file or directory (install ca-certificates or pass the path of a PEM bundle)",
		},
		"no architecture": {
			change: func(o *Options) { o.Platform.Architecture = "" },
			want:   "build image: no architecture given",
		},
		"no version": {
			change: func(o *Options) { o.Version = "" },
			want:   "build image: no version given",
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			opts := testOptions("amd64")
			tt.change(&opts)
			_, err := Build(opts)
			if err == nil || err.Error() != tt.want {
				t.Errorf("error = %v, want %s", err, tt.want)
			}
		})
	}
}

func TestIndex(t *testing.T) {
	amd64 := mustBuild(t, testOptions("amd64"))
	arm64 := mustBuild(t, testOptions("arm64"))
	idx, err := Index(amd64, arm64)
	if err != nil {
		t.Fatal(err)
	}
	if err := validate.Index(idx); err != nil {
		t.Fatalf("invalid index: %v", err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if m.MediaType != types.OCIImageIndex {
		t.Errorf("index media type = %s, want %s", m.MediaType, types.OCIImageIndex)
	}
	if len(m.Manifests) != 2 {
		t.Fatalf("%d manifests, want 2", len(m.Manifests))
	}
	for i, img := range []v1.Image{amd64, arm64} {
		d, _ := img.Digest()
		desc := m.Manifests[i]
		want := []string{"amd64", "arm64"}[i]
		if desc.Digest != d || desc.MediaType != types.OCIManifestSchema1 || desc.Platform == nil || desc.Platform.OS != "linux" || desc.Platform.Architecture != want {
			t.Errorf("manifest %d = %+v, want %s for linux/%s", i, desc, d, want)
		}
	}
	if m.Annotations["org.opencontainers.image.version"] != "v1.2.3" || m.Annotations["org.opencontainers.image.source"] != DefaultSource {
		t.Errorf("index annotations = %v, want the shared labels", m.Annotations)
	}

	// The index is as reproducible as its images.
	again, err := Index(mustBuild(t, testOptions("amd64")), mustBuild(t, testOptions("arm64")))
	if err != nil {
		t.Fatal(err)
	}
	d1, _ := idx.Digest()
	d2, _ := again.Digest()
	if d1 != d2 {
		t.Errorf("two indexes of the same builds differ: %s and %s", d1, d2)
	}

	if _, err := Index(amd64, amd64); err == nil || err.Error() != "image index: two images for platform linux/amd64" {
		t.Errorf("two images for one platform: error = %v", err)
	}
	if _, err := Index(); err == nil {
		t.Error("an index of no images: no error")
	}
}
