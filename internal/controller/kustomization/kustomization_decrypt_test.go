package kustomization_test

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/ferrycd/ferry/internal/decrypt"
	"github.com/ferrycd/ferry/internal/decrypt/sopstest"
	"github.com/ferrycd/ferry/internal/testenv"
)

// Plaintexts of the SOPS fixtures; no condition or event may show them.
const (
	sopsPassword = "s3cr3t-db-password"
	sopsAPIKey   = "api-key-plaintext-42"
	sopsEnvToken = "env-token-plaintext-7"
)

// decryptionSpec is the spec.decryption of the SOPS tests.
const decryptionSpec = `  decryption:
    provider: sops
    secretRef:
      name: sops-keys`

// sopsFiles returns a repository whose path "app" holds a Secret encrypted
// as a whole for ageKey (with Flux's advised encrypted_regex), and a
// secretGenerator reading a SOPS YAML file encrypted for pgpKey (or ageKey
// when pgpKey is nil) and a SOPS dotenv file encrypted for ageKey.
func sopsFiles(t *testing.T, ageKey sopstest.AgeKey, pgpKey *sopstest.PGPKey) map[string]string {
	t.Helper()
	secret := `apiVersion: v1
kind: Secret
metadata:
  name: db
type: Opaque
stringData:
  password: ` + sopsPassword + `
`
	fileOpts := sopstest.Options{Age: []sopstest.AgeKey{ageKey}}
	if pgpKey != nil {
		fileOpts = sopstest.Options{PGP: []sopstest.PGPKey{*pgpKey}}
	}
	return map[string]string{
		"app/kustomization.yaml": `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - secret.enc.yaml
secretGenerator:
  - name: generated
    files:
      - config.yaml=config.enc.yaml
    envs:
      - app.enc.env
generatorOptions:
  disableNameSuffixHash: true
`,
		"app/secret.enc.yaml": string(sopstest.Encrypt(t, []byte(secret), decrypt.YAML,
			sopstest.Options{Age: []sopstest.AgeKey{ageKey}, EncryptedRegex: "^(data|stringData)$"})),
		"app/config.enc.yaml": string(sopstest.Encrypt(t, []byte("apiKey: "+sopsAPIKey+"\n"), decrypt.YAML, fileOpts)),
		"app/app.enc.env":     string(sopstest.Encrypt(t, []byte("TOKEN="+sopsEnvToken+"\n"), decrypt.Dotenv, sopstest.Options{Age: []sopstest.AgeKey{ageKey}})),
	}
}

// createKeys creates the decryption Secret "sops-keys" in the fixture's namespace.
func (f *fixture) createKeys(data map[string]string) {
	f.T.Helper()
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "sops-keys", Namespace: f.NS}, StringData: data}
	if err := env.Client.Create(context.Background(), s); err != nil {
		f.T.Fatal(err)
	}
}

// assertNoLeak fails when a condition or an event of the Kustomization
// shows one of the secrets.
func (f *fixture) assertNoLeak(secrets ...string) {
	f.T.Helper()
	secrets = append(secrets, sopsPassword, sopsAPIKey, sopsEnvToken, "ENC[AES256_GCM", "AGE ENCRYPTED FILE", "PGP MESSAGE")
	var texts []string
	for _, c := range f.kustomization().Status.Conditions {
		texts = append(texts, "condition "+c.Type+": "+c.Message)
	}
	for _, e := range f.Events() {
		texts = append(texts, "event "+e.Reason+": "+e.Message)
	}
	for _, text := range texts {
		for _, s := range secrets {
			if s != "" && strings.Contains(text, s) {
				f.T.Errorf("%.40s... shows a secret (%.12s...)", text, s)
			}
		}
	}
}

// TestDecryptSOPS checks that SOPS-encrypted Secrets (a whole Secret, and a
// secretGenerator's YAML file and dotenv file) are applied decrypted, with
// age and PGP keys, and that nothing secret shows in the status or events.
func TestDecryptSOPS(t *testing.T) {
	ageKey, pgpKey := sopstest.NewAgeKey(t), sopstest.NewPGPKey(t)
	f := newFixture(t, sopsFiles(t, ageKey, &pgpKey))
	f.createKeys(map[string]string{"identity.agekey": ageKey.Identity + "\n", "private.asc": pgpKey.Private})
	f.syncSpec("app", decryptionSpec)
	f.WaitFor("ready", testenv.KustomizationReady(f.Head()))

	db := f.Get("v1", "Secret", "db")
	if got := secretValue(t, testenv.Nested(db, "data", "password")); got != sopsPassword {
		t.Errorf("Secret db password = %q, want the plaintext", got)
	}
	if _, ok := db.Object["sops"]; ok {
		t.Error("Secret db still has the sops metadata")
	}
	gen := f.Get("v1", "Secret", "generated")
	if got := secretValue(t, testenv.Nested(gen, "data", "config.yaml")); got != "apiKey: "+sopsAPIKey+"\n" {
		t.Errorf("Secret generated config.yaml = %q, want the plaintext YAML", got)
	}
	if got := secretValue(t, testenv.Nested(gen, "data", "TOKEN")); got != sopsEnvToken {
		t.Errorf("Secret generated TOKEN = %q, want the plaintext", got)
	}
	data, _, _ := unstructured.NestedStringMap(gen.Object, "data")
	for k := range data {
		if strings.HasPrefix(k, "sops_") {
			t.Errorf("Secret generated keeps the SOPS metadata entry %s", k)
		}
	}
	f.assertNoLeak(ageKey.Identity, pgpKey.Private)
}

func secretValue(t *testing.T, b64 string) string {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatalf("not base64: %v", err)
	}
	return string(b)
}
