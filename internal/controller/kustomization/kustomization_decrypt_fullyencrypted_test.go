package kustomization_test

import (
	"strings"
	"testing"

	"github.com/ferrycd/ferry/internal/decrypt"
	"github.com/ferrycd/ferry/internal/decrypt/sopstest"
	"github.com/ferrycd/ferry/internal/testenv"
)

// TestDecryptFullyEncrypted checks the common mistake of encrypting a
// Secret without --encrypted-regex (its kind encrypted too, which kustomize
// cannot read): the message names the file and says how to encrypt it.
func TestDecryptFullyEncrypted(t *testing.T) {
	key := sopstest.NewAgeKey(t)
	secret := "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: " + sopsPassword + "\n"
	f := newFixture(t, map[string]string{
		"app/secret.enc.yaml": string(sopstest.Encrypt(t, []byte(secret), decrypt.YAML, sopstest.Options{Age: []sopstest.AgeKey{key}})),
	})
	f.createKeys(map[string]string{"identity.agekey": key.Identity})
	f.syncSpec("app", decryptionSpec)

	ks := f.WaitFor("failed", testenv.KustomizationFailed("BuildFailed", f.Head()))
	msg := testenv.ReadyCondition(ks).Message
	for _, want := range []string{"app/secret.enc.yaml is SOPS-encrypted including its apiVersion, kind", "--encrypted-regex"} {
		if !strings.Contains(msg, want) {
			t.Errorf("Ready message %q does not contain %q", msg, want)
		}
	}
	if f.Get("v1", "Secret", "db") != nil {
		t.Error("Secret db was applied")
	}
	f.assertNoLeak(key.Identity)
}
