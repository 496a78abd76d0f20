package ferryimage

import (
	"io"
	"log"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/ferrycd/ferry/config"
)

// startRegistry serves an in-memory registry on loopback and returns its
// host:port.
func startRegistry(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// TestPushPullAndInstall pushes an image to a loopback registry, pulls it
// back by digest, and renders the install manifests pinned to it.
func TestPushPullAndInstall(t *testing.T) {
	img := mustBuild(t, testOptions("amd64"))
	digest, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	repo := startRegistry(t) + "/ferrycd/ferry"

	// Push it by tag.
	tag, err := name.NewTag(repo+":v1.2.3", name.StrictValidation)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(tag, img); err != nil {
		t.Fatalf("push: %v", err)
	}

	// Pull it back by digest: the same manifest and config.
	pinned := repo + "@" + digest.String()
	ref, err := name.NewDigest(pinned, name.StrictValidation)
	if err != nil {
		t.Fatal(err)
	}
	pulled, err := remote.Image(ref)
	if err != nil {
		t.Fatalf("pull %s: %v", ref, err)
	}
	if d, err := pulled.Digest(); err != nil || d != digest {
		t.Errorf("pulled digest = %s (%v), want %s", d, err, digest)
	}
	want, _ := img.RawConfigFile()
	got, err := pulled.RawConfigFile()
	if err != nil || string(got) != string(want) {
		t.Errorf("pulled config (%v) =\n%s\nwant\n%s", err, got, want)
	}
	cfg, err := pulled.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cfg.Config.Entrypoint, []string{"/ferry"}) || cfg.Config.User != "65532:65532" {
		t.Errorf("pulled config: entrypoint %v, user %q", cfg.Config.Entrypoint, cfg.Config.User)
	}
	// The tag resolves to the same digest.
	desc, err := remote.Head(tag)
	if err != nil || desc.Digest != digest {
		t.Errorf("%s resolves to %v (%v), want %s", tag, desc, err, digest)
	}

	// Render the install manifests pinned to it: the controller Deployment
	// runs exactly this image.
	objs, err := config.InstallObjects(config.InstallOptions{Image: pinned})
	if err != nil {
		t.Fatalf("install manifests: %v", err)
	}
	var images []string
	for _, u := range objs {
		if u.GetKind() != "Deployment" {
			continue
		}
		containers, _, err := unstructured.NestedSlice(u.Object, "spec", "template", "spec", "containers")
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range containers {
			c := c.(map[string]any)
			images = append(images, c["name"].(string)+"="+c["image"].(string))
		}
	}
	if len(images) != 1 || images[0] != "manager="+pinned {
		t.Errorf("Deployment containers = %v, want manager=%s", images, pinned)
	}
}

// TestPushIndex pushes a two-platform index and pulls each platform's image
// back through it.
func TestPushIndex(t *testing.T) {
	idx, err := Index(mustBuild(t, testOptions("amd64")), mustBuild(t, testOptions("arm64")))
	if err != nil {
		t.Fatal(err)
	}
	digest, _ := idx.Digest()
	tag, err := name.NewTag(startRegistry(t)+"/ferrycd/ferry:v1.2.3", name.StrictValidation)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteIndex(tag, idx); err != nil {
		t.Fatalf("push: %v", err)
	}
	pulled, err := remote.Index(tag.Digest(digest.String()))
	if err != nil {
		t.Fatalf("pull: %v", err)
	}
	if d, _ := pulled.Digest(); d != digest {
		t.Errorf("pulled index digest = %s, want %s", d, digest)
	}
	m, err := pulled.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	for _, desc := range m.Manifests {
		img, err := pulled.Image(desc.Digest)
		if err != nil {
			t.Fatalf("%s: %v", desc.Platform, err)
		}
		cfg, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Architecture != desc.Platform.Architecture {
			t.Errorf("image %s is for %s, the index says %s", desc.Digest, cfg.Architecture, desc.Platform.Architecture)
		}
	}
}
