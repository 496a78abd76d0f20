package kustomization_test

import (
	"strings"
	"testing"

	"github.com/ferrycd/ferry/internal/decrypt/sopstest"
	"github.com/ferrycd/ferry/internal/testenv"
)

// TestDecryptMissingSecret checks that a missing decryption Secret is named
// in the failure, and that the Kustomization syncs once it exists.
func TestDecryptMissingSecret(t *testing.T) {
	key := sopstest.NewAgeKey(t)
	f := newFixture(t, sopsFiles(t, key, nil))
	f.syncSpec("app", decryptionSpec)

	ks := f.WaitFor("failed", testenv.KustomizationFailed("BuildFailed", f.Head()))
	msg := testenv.ReadyCondition(ks).Message
	for _, want := range []string{"decryption Secret " + f.NS + "/sops-keys", "not found", "*.agekey"} {
		if !strings.Contains(msg, want) {
			t.Errorf("Ready message %q does not contain %q", msg, want)
		}
	}
	if f.Get("v1", "Secret", "db") != nil {
		t.Error("Secret db was applied without its key")
	}

	f.createKeys(map[string]string{"identity.agekey": key.Identity})
	f.WaitFor("ready", testenv.KustomizationReady(f.Head()))
	if got := secretValue(t, testenv.Nested(f.Get("v1", "Secret", "db"), "data", "password")); got != sopsPassword {
		t.Errorf("Secret db password = %q, want the plaintext", got)
	}
	f.assertNoLeak(key.Identity)
}
