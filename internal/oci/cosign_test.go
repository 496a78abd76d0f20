package oci_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/ferrycd/ferry/internal/oci"
	"github.com/ferrycd/ferry/internal/oci/ocitest"
)

// A cosign signature verifies only with a trusted key and only for the
// digest it names; a missing, foreign or copied signature is refused.
func TestVerifyCosign(t *testing.T) {
	reg := ocitest.Start(t, ocitest.Options{})
	trusted, other := ocitest.NewCosignKey(t), ocitest.NewCosignKey(t)
	keys, err := oci.PublicKeys(map[string][]byte{"cosign.pub": trusted.PublicPEM, "ca.crt": []byte("ignored")})
	if err != nil {
		t.Fatal(err)
	}
	c := oci.New(oci.Options{Insecure: true})
	defer c.Close()
	repo, err := c.Repository(reg.URL("app"))
	if err != nil {
		t.Fatal(err)
	}
	push := func(tag, content string) string {
		img, err := oci.Image(ocitest.TarGz(map[string]string{"a.yaml": content}), oci.ContentMediaType, nil)
		if err != nil {
			t.Fatal(err)
		}
		return reg.Push(t, "app", tag, img)
	}
	verify := func(digest string) (string, error) {
		return c.VerifyCosign(context.Background(), repo, v1.Hash{Algorithm: "sha256", Hex: strings.TrimPrefix(digest, "sha256:")}, keys)
	}

	signed := push("signed", "a: 1\n")
	reg.Sign(t, "app", signed, signed, trusted)
	if name, err := verify(signed); err != nil || name != "cosign.pub" {
		t.Errorf("signed artifact: %q, %v", name, err)
	}

	cases := map[string]struct {
		sign func(digest string)
		want string
	}{
		"unsigned":  {func(string) {}, "is not signed (no signature manifest at tag 'sha256-"},
		"other-key": {func(d string) { reg.Sign(t, "app", d, d, other) }, "none of its 1 signatures verifies with the keys cosign.pub"},
		"copied":    {func(d string) { reg.Sign(t, "app", d, signed, trusted) }, "a signature by a trusted key signs another digest, '" + signed + "'"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			d := push(name, name)
			tc.sign(d)
			_, err := verify(d)
			if !errors.Is(err, oci.ErrNotVerified) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}

func TestPublicKeys(t *testing.T) {
	if _, err := oci.PublicKeys(map[string][]byte{"key.asc": []byte("x")}); err == nil || !strings.Contains(err.Error(), "no '*.pub' key") {
		t.Errorf("no key: %v", err)
	}
	if _, err := oci.PublicKeys(map[string][]byte{"bad.pub": []byte("not a key")}); err == nil || !strings.Contains(err.Error(), "key 'bad.pub' is not a PEM public key") {
		t.Errorf("bad key: %v", err)
	}
}
