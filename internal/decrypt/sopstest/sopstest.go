// Package sopstest writes real SOPS-encrypted files for tests, with keys
// generated in the test: it encrypts with the SOPS library itself (its AES
// cipher, age master keys and stores), so that ferry's decryptor is checked
// against the format SOPS writes. Only tests import it: it pulls the SOPS
// library, and with it the cloud KMS SDKs, which the ferry binary avoids.
package sopstest

import (
	"bytes"
	"crypto/rand"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/ProtonMail/go-crypto/openpgp"
	pgparmor "github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/getsops/sops/v3"
	"github.com/getsops/sops/v3/aes"
	sopsage "github.com/getsops/sops/v3/age"
	"github.com/getsops/sops/v3/config"
	"github.com/getsops/sops/v3/keys"
	sopspgp "github.com/getsops/sops/v3/pgp"
	"github.com/getsops/sops/v3/stores/dotenv"
	"github.com/getsops/sops/v3/stores/json"
	"github.com/getsops/sops/v3/stores/yaml"

	"github.com/ferrycd/ferry/internal/decrypt"
)

// AgeKey is an age key pair generated for a test.
type AgeKey struct {
	// Identity is the secret key line (AGE-SECRET-KEY-1...).
	Identity string
	// Recipient is the public key (age1...).
	Recipient string
}

// NewAgeKey generates an X25519 age key pair.
func NewAgeKey(t testing.TB) AgeKey {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatalf("generating an age key: %v", err)
	}
	return AgeKey{Identity: id.String(), Recipient: id.Recipient().String()}
}

// PGPKey is a PGP key pair generated for a test.
type PGPKey struct {
	// Private is the armored private key, as a decryption Secret holds it.
	Private string
	// Fingerprint is the upper-case hex fingerprint.
	Fingerprint string
	entity      *openpgp.Entity
}

// NewPGPKey generates a PGP key pair without passphrase.
func NewPGPKey(t testing.TB) PGPKey {
	t.Helper()
	e, err := openpgp.NewEntity("ferry test", "", "test@ferry.invalid", nil)
	if err != nil {
		t.Fatalf("generating a PGP key: %v", err)
	}
	var buf bytes.Buffer
	w, err := pgparmor.Encode(&buf, openpgp.PrivateKeyType, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.SerializePrivate(w, nil); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return PGPKey{Private: buf.String(), Fingerprint: strings.ToUpper(fingerprint(e)), entity: e}
}

func fingerprint(e *openpgp.Entity) string {
	const hex = "0123456789abcdef"
	var b strings.Builder
	for _, c := range e.PrimaryKey.Fingerprint {
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// Options choose the recipients and which keys are encrypted.
type Options struct {
	// Age and PGP are the recipients of the data key.
	Age []AgeKey
	PGP []PGPKey
	// EncryptedRegex, when set, restricts encryption to matching keys
	// (Flux's advice for Secrets: ^(data|stringData)$).
	EncryptedRegex string
}

// Encrypt encrypts plain, a file in format f, for the recipients of opts
// and returns the SOPS-encrypted file in the same format.
func Encrypt(t testing.TB, plain []byte, f decrypt.Format, opts Options) []byte {
	t.Helper()
	var store interface {
		LoadPlainFile([]byte) (sops.TreeBranches, error)
		EmitEncryptedFile(sops.Tree) ([]byte, error)
	}
	switch f {
	case decrypt.YAML:
		store = yaml.NewStore(&config.YAMLStoreConfig{})
	case decrypt.JSON:
		store = json.NewStore(&config.JSONStoreConfig{})
	case decrypt.Dotenv:
		store = dotenv.NewStore(&config.DotenvStoreConfig{})
	case decrypt.Binary:
		store = json.NewBinaryStore(&config.JSONBinaryStoreConfig{})
	default:
		t.Fatalf("sopstest: format %s not supported", f)
	}
	branches, err := store.LoadPlainFile(plain)
	if err != nil {
		t.Fatalf("sopstest: loading the plain %s file: %v", f, err)
	}
	dataKey := make([]byte, 32)
	if _, err := rand.Read(dataKey); err != nil {
		t.Fatal(err)
	}
	var group sops.KeyGroup
	for _, k := range opts.Age {
		mk, err := sopsage.MasterKeyFromRecipient(k.Recipient)
		if err != nil {
			t.Fatalf("sopstest: age recipient: %v", err)
		}
		if err := mk.Encrypt(dataKey); err != nil {
			t.Fatalf("sopstest: age encrypt: %v", err)
		}
		group = append(group, mk)
	}
	for _, k := range opts.PGP {
		group = append(group, pgpMasterKey(t, k, dataKey))
	}
	md := sops.Metadata{KeyGroups: []sops.KeyGroup{group}, Version: "3.13.3", EncryptedRegex: opts.EncryptedRegex}
	if md.EncryptedRegex == "" {
		md.UnencryptedSuffix = "_unencrypted"
	}
	tree := sops.Tree{Branches: branches, Metadata: md}
	cipher := aes.NewCipher()
	mac, err := tree.Encrypt(dataKey, cipher)
	if err != nil {
		t.Fatalf("sopstest: encrypting: %v", err)
	}
	tree.Metadata.LastModified = time.Now().UTC()
	tree.Metadata.MessageAuthenticationCode, err = cipher.Encrypt(mac, dataKey, tree.Metadata.LastModified.Format(time.RFC3339))
	if err != nil {
		t.Fatalf("sopstest: encrypting the mac: %v", err)
	}
	out, err := store.EmitEncryptedFile(tree)
	if err != nil {
		t.Fatalf("sopstest: writing the encrypted %s file: %v", f, err)
	}
	return out
}

// pgpMasterKey encrypts the data key for k as SOPS does (an armored PGP
// message), without a GnuPG keyring.
func pgpMasterKey(t testing.TB, k PGPKey, dataKey []byte) keys.MasterKey {
	t.Helper()
	var buf bytes.Buffer
	aw, err := pgparmor.Encode(&buf, "PGP MESSAGE", nil)
	if err != nil {
		t.Fatal(err)
	}
	w, err := openpgp.Encrypt(aw, []*openpgp.Entity{k.entity}, nil, nil, nil)
	if err != nil {
		t.Fatalf("sopstest: pgp encrypt: %v", err)
	}
	if _, err := w.Write(dataKey); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := aw.Close(); err != nil {
		t.Fatal(err)
	}
	mk := sopspgp.NewMasterKeyFromFingerprint(k.Fingerprint)
	mk.EncryptedKey = buf.String()
	return mk
}
