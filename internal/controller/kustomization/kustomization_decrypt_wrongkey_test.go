package kustomization_test

import (
	"strings"
	"testing"

	"github.com/ferrycd/ferry/internal/decrypt/sopstest"
)

// TestDecryptWrongKey checks that a decryption Secret without the right key
// fails the build with a message naming the Secret, its file and the key it
// needs, applies nothing, and shows neither plaintext, ciphertext nor key.
func TestDecryptWrongKey(t *testing.T) {
	right, wrong := sopstest.NewAgeKey(t), sopstest.NewAgeKey(t)
	f := newFixture(t, sopsFiles(t, right, nil))
	f.createKeys(map[string]string{"identity.agekey": wrong.Identity})
	f.syncSpec("app", decryptionSpec)

	ks := f.waitFor("failed", failed("BuildFailed", f.head()))
	msg := readyCondition(ks).Message
	for _, want := range []string{"Secret/" + f.ns + "/db", "secret.enc.yaml", "decryption failed",
		"none of the 1 age and 0 PGP keys", right.Recipient} {
		if !strings.Contains(msg, want) {
			t.Errorf("Ready message %q does not contain %q", msg, want)
		}
	}
	if f.get("v1", "Secret", "db") != nil || f.get("v1", "Secret", "generated") != nil {
		t.Error("a Secret was applied although it could not be decrypted")
	}
	f.assertNoLeak(right.Identity, wrong.Identity)
}
