package oci

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestParseRepository(t *testing.T) {
	ok := map[string]string{
		"oci://127.0.0.1:5000/fleet/apps":   "127.0.0.1:5000/fleet/apps",
		"oci://ghcr.io/acme/manifests/":     "ghcr.io/acme/manifests",
		"oci://registry.example.test/a/b/c": "registry.example.test/a/b/c",
	}
	for in, want := range ok {
		repo, err := ParseRepository(in, false)
		if err != nil || repo.String() != want {
			t.Errorf("ParseRepository(%q) = %q, %v; want %q", in, repo.String(), err, want)
		}
	}
	bad := map[string]string{
		"https://ghcr.io/acme/app":           "must start with oci://",
		"oci://ghcr.io/acme/app:v1":          "set the tag in spec.ref.tag",
		"oci://ghcr.io/acme/app@sha256:00":   "do not belong in the URL",
		"oci://user:s3cret@ghcr.io/acme/app": "do not belong in the URL",
		"oci://ghcr.io":                      "want oci://<registry>/<repository>",
		"oci://ghcr.io/ACME/App":             "invalid OCI repository URL",
	}
	for in, want := range bad {
		_, err := ParseRepository(in, false)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseRepository(%q) error %v, want %q", in, err, want)
		}
		if err != nil && strings.Contains(err.Error(), "s3cret") {
			t.Errorf("ParseRepository(%q) error quotes the password: %v", in, err)
		}
	}
}

func TestHighestSemVer(t *testing.T) {
	tags := []string{"1.0.0", "v1.2.0", "1.2.0", "1.3.0-rc.1", "2.0.0", "latest", "1.1.0-dev"}
	cases := []struct{ rng, filter, want string }{
		{">=1.0.0 <2.0.0", "", "v1.2.0"},
		{">=1.3.0-0 <2.0.0", "", "1.3.0-rc.1"},
		{"*", "", "2.0.0"},
		{">=1.0.0-0", "-dev$", "1.1.0-dev"},
	}
	for _, c := range cases {
		got, err := HighestSemVer(tags, c.rng, c.filter)
		if err != nil || got != c.want {
			t.Errorf("HighestSemVer(%q, %q) = %q, %v; want %q", c.rng, c.filter, got, err, c.want)
		}
	}
	if _, err := HighestSemVer(tags, ">=3", ""); err == nil || !strings.Contains(err.Error(), "no tag matches semver range '>=3' among 7 tags") {
		t.Errorf("no match: %v", err)
	}
	if _, err := HighestSemVer(tags, "1.x", "("); err == nil || !strings.Contains(err.Error(), "semverFilter '('") {
		t.Errorf("bad filter: %v", err)
	}
}

func TestKeychainFromSecrets(t *testing.T) {
	auth := base64.StdEncoding.EncodeToString([]byte("robot:t0ken"))
	secret := func(name, key, value string) *corev1.Secret {
		return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name}, Data: map[string][]byte{key: []byte(value)}}
	}
	kc, err := KeychainFromSecrets(
		secret("first", corev1.DockerConfigJsonKey, `{"auths":{"https://index.docker.io/v1/":{"auth":"`+auth+`"},"ghcr.io":{"username":"u","password":"p"}}}`),
		secret("second", corev1.DockerConfigKey, `{"ghcr.io":{"username":"other","password":"x"},"127.0.0.1:5000":{"auth":"`+auth+`"}}`),
	)
	if err != nil {
		t.Fatal(err)
	}
	for ref, want := range map[string]authn.AuthConfig{
		"docker.io/library/nginx": {Username: "robot", Password: "t0ken"},
		"ghcr.io/acme/app":        {Username: "u", Password: "p"}, // the first secret wins
		"127.0.0.1:5000/fleet":    {Username: "robot", Password: "t0ken"},
		"quay.io/someone/else":    {},
	} {
		repo, err := name.NewRepository(ref)
		if err != nil {
			t.Fatal(err)
		}
		a, err := kc.Resolve(repo)
		if err != nil {
			t.Fatal(err)
		}
		got, err := a.Authorization()
		if err != nil {
			t.Fatal(err)
		}
		if got.Username != want.Username || got.Password != want.Password {
			t.Errorf("%s: %q/%q, want %q/%q", ref, got.Username, got.Password, want.Username, want.Password)
		}
	}

	for name, s := range map[string]*corev1.Secret{
		"no key":   secret("basic", "username", "u"),
		"bad json": secret("broken", corev1.DockerConfigJsonKey, `{"auths": {"ghcr.io": {"password": "hunter2"`),
		"bad auth": secret("auth", corev1.DockerConfigJsonKey, `{"auths":{"ghcr.io":{"auth":"hunter2"}}}`),
	} {
		_, err := KeychainFromSecrets(s)
		if err == nil || !strings.Contains(err.Error(), "secret 'ns/"+s.Name+"'") {
			t.Errorf("%s: error %v, want one naming the secret", name, err)
		}
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s: error quotes the password: %v", name, err)
		}
	}
}
