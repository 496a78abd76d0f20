package artifact

import (
	"encoding/hex"
	"strings"
	"testing"
)

// FuzzParseDigest checks that an accepted artifact digest is
// "<sha256|sha384|sha512>:<hex>" with exactly the hash's length in hex
// digits, and that the expected value is that hex in lower case.
func FuzzParseDigest(f *testing.F) {
	for _, s := range []string{"sha256:" + strings.Repeat("a", 64), "sha384:" + strings.Repeat("B", 96), "sha512:" + strings.Repeat("0", 128),
		"sha256:", "sha256:abc", "md5:00", "sha256", ":", "sha256:" + strings.Repeat("g", 64), "SHA256:" + strings.Repeat("a", 64)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, d string) {
		h, want, err := parseDigest(d)
		if err != nil {
			if h != nil || want != "" {
				t.Fatalf("parseDigest(%q) failed but returned a hash", d)
			}
			return
		}
		algo, digits, _ := strings.Cut(d, ":")
		if algo != "sha256" && algo != "sha384" && algo != "sha512" {
			t.Fatalf("parseDigest(%q) accepted the algorithm %q", d, algo)
		}
		if len(want) != 2*h.Size() || want != strings.ToLower(digits) {
			t.Fatalf("parseDigest(%q) = %q for a %d-byte hash", d, want, h.Size())
		}
		if _, err := hex.DecodeString(want); err != nil {
			t.Fatalf("parseDigest(%q) = %q, which is not hex", d, want)
		}
	})
}
