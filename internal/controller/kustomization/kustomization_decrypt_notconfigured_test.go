package kustomization_test

import (
	"strings"
	"testing"

	"github.com/ferrycd/ferry/internal/decrypt/sopstest"
	"github.com/ferrycd/ferry/internal/testenv"
)

// TestDecryptNotConfigured checks that a SOPS-encrypted Secret built by a
// Kustomization without spec.decryption is refused, never applied as
// ciphertext, with a message that says to set spec.decryption.
func TestDecryptNotConfigured(t *testing.T) {
	key := sopstest.NewAgeKey(t)
	f := newFixture(t, sopsFiles(t, key, nil))
	f.syncSpec("app", "")

	ks := f.WaitFor("failed", testenv.KustomizationFailed("BuildFailed", f.Head()))
	msg := testenv.ReadyCondition(ks).Message
	for _, want := range []string{"Secret/" + f.NS + "/db", "secret.enc.yaml", "SOPS-encrypted",
		"spec.decryption is not set", "spec.decryption.secretRef"} {
		if !strings.Contains(msg, want) {
			t.Errorf("Ready message %q does not contain %q", msg, want)
		}
	}
	if f.Get("v1", "Secret", "db") != nil || f.Get("v1", "Secret", "generated") != nil {
		t.Error("SOPS ciphertext was applied as a Secret")
	}
	f.assertNoLeak(key.Identity)
}
