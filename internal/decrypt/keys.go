package decrypt

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"filippo.io/age"
	agearmor "filippo.io/age/armor"
	"github.com/ProtonMail/go-crypto/openpgp"
	pgparmor "github.com/ProtonMail/go-crypto/openpgp/armor"
)

const (
	// AgeKeyExt is the suffix of the Secret entries holding age identities
	// (AGE-SECRET-KEY-1... lines), as in kustomize-controller.
	AgeKeyExt = ".agekey"
	// PGPKeyExt is the suffix of the Secret entries holding armored PGP
	// private keys, as in kustomize-controller.
	PGPKeyExt = ".asc"
	// dataKeySize is the size of a SOPS data key (AES-256).
	dataKeySize = 32
)

// Keys holds the age identities and PGP private keys read from a decryption
// Secret. Its zero value holds no key.
type Keys struct {
	age []age.Identity
	pgp openpgp.EntityList
}

// ParseKeys reads the entries of a decryption Secret: every entry whose name
// ends in ".agekey" must hold age identities, every entry ending in ".asc" an
// armored PGP private key without passphrase; other entries are ignored.
// Errors name the entry, never its content.
func ParseKeys(data map[string][]byte) (*Keys, error) {
	k := &Keys{}
	names := make([]string, 0, len(data))
	for name := range data {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		switch filepath.Ext(name) {
		case AgeKeyExt:
			ids, err := age.ParseIdentities(bytes.NewReader(data[name]))
			if err != nil {
				// age's message can quote part of the line: leave it out.
				return nil, fmt.Errorf("entry %q does not hold valid age identities (expected AGE-SECRET-KEY-1... lines)", name)
			}
			k.age = append(k.age, ids...)
		case PGPKeyExt:
			list, err := openpgp.ReadArmoredKeyRing(bytes.NewReader(data[name]))
			if err != nil {
				return nil, fmt.Errorf("entry %q does not hold an armored PGP key", name)
			}
			for _, e := range list {
				if e.PrivateKey == nil {
					return nil, fmt.Errorf("entry %q holds a PGP public key, a private key is needed to decrypt", name)
				}
				if e.PrivateKey.Encrypted {
					return nil, fmt.Errorf("entry %q holds a passphrase-protected PGP key, which cannot be used unattended", name)
				}
			}
			k.pgp = append(k.pgp, list...)
		}
	}
	return k, nil
}

// Len returns the number of age identities and PGP keys held.
func (k *Keys) Len() int {
	if k == nil {
		return 0
	}
	return len(k.age) + len(k.pgp)
}

// metadata is the part of a file's "sops" metadata needed to decrypt it.
type metadata struct {
	groups    []keyGroup
	threshold int
	// The rules SOPS used to choose which values to encrypt.
	unencryptedSuffix, encryptedSuffix string
	unencryptedRegex, encryptedRegex   *regexp.Regexp
}

// encrypted reports whether SOPS encrypted the value at path, by the rules
// of the metadata (the comment-based rules are not evaluated: under them,
// every value that looks encrypted is decrypted).
func (md *metadata) encrypted(path []string) bool {
	enc := true
	if md.unencryptedSuffix != "" && slices.ContainsFunc(path, func(p string) bool { return strings.HasSuffix(p, md.unencryptedSuffix) }) {
		enc = false
	}
	if md.encryptedSuffix != "" {
		enc = slices.ContainsFunc(path, func(p string) bool { return strings.HasSuffix(p, md.encryptedSuffix) })
	}
	if md.unencryptedRegex != nil && slices.ContainsFunc(path, md.unencryptedRegex.MatchString) {
		enc = false
	}
	if md.encryptedRegex != nil {
		enc = slices.ContainsFunc(path, md.encryptedRegex.MatchString)
	}
	return enc
}

// keyGroup lists the recipients of one key group.
type keyGroup struct {
	age   []recipient
	pgp   []recipient
	other []string // kinds of recipients ferry cannot use (kms, gcp_kms, ...)
}

// recipient is one encrypted copy of the data key: id is the public age
// recipient or the PGP fingerprint, enc the armored ciphertext.
type recipient struct {
	id, enc string
}

// otherKinds are the SOPS recipient kinds that need a cloud or Vault service.
var otherKinds = []string{"kms", "gcp_kms", "azure_kv", "hc_vault", "hckms"}

// parseMetadata reads the "sops" section of a file, as a generic tree.
func parseMetadata(m map[string]any) (*metadata, error) {
	md := &metadata{}
	if t, ok := m["shamir_threshold"]; ok {
		switch v := t.(type) {
		case int:
			md.threshold = v
		case int64:
			md.threshold = int(v)
		case float64:
			md.threshold = int(v)
		case string:
			_, _ = fmt.Sscanf(v, "%d", &md.threshold)
		}
	}
	if groups, ok := m["key_groups"].([]any); ok && len(groups) > 0 {
		for _, g := range groups {
			gm, _ := g.(map[string]any)
			md.groups = append(md.groups, parseGroup(gm))
		}
	} else {
		md.groups = []keyGroup{parseGroup(m)}
	}
	if _, ok := m["mac"]; !ok {
		return nil, errors.New("the sops metadata has no mac entry")
	}
	md.unencryptedSuffix, _ = m["unencrypted_suffix"].(string)
	md.encryptedSuffix, _ = m["encrypted_suffix"].(string)
	for field, re := range map[string]**regexp.Regexp{"unencrypted_regex": &md.unencryptedRegex, "encrypted_regex": &md.encryptedRegex} {
		if expr, _ := m[field].(string); expr != "" {
			compiled, err := regexp.Compile(expr)
			if err != nil {
				return nil, fmt.Errorf("the sops metadata has an invalid %s", field)
			}
			*re = compiled
		}
	}
	return md, nil
}

func parseGroup(m map[string]any) keyGroup {
	var g keyGroup
	list := func(kind, idField string) []recipient {
		var out []recipient
		items, _ := m[kind].([]any)
		for _, it := range items {
			im, _ := it.(map[string]any)
			id, _ := im[idField].(string)
			enc, _ := im["enc"].(string)
			if enc != "" {
				out = append(out, recipient{id: id, enc: enc})
			}
		}
		return out
	}
	g.age = list("age", "recipient")
	g.pgp = list("pgp", "fp")
	for _, kind := range otherKinds {
		if items, ok := m[kind].([]any); ok && len(items) > 0 {
			g.other = append(g.other, kind)
		}
	}
	return g
}

// dataKey recovers the data key of a file from its metadata with the keys
// held. The error lists the file's public recipients so that the user can
// tell which key is missing.
func (k *Keys) dataKey(md *metadata) ([]byte, error) {
	if len(md.groups) > 1 && md.threshold != 1 {
		return nil, fmt.Errorf("the file uses %d SOPS key groups (Shamir secret sharing), which ferry does not support", len(md.groups))
	}
	var ageIDs, pgpIDs, other []string
	for _, g := range md.groups {
		for _, r := range g.age {
			ageIDs = append(ageIDs, r.id)
			if key, err := k.decryptAge(r.enc); err == nil {
				return key, nil
			}
		}
		for _, r := range g.pgp {
			pgpIDs = append(pgpIDs, r.id)
			if key, err := k.decryptPGP(r.enc); err == nil {
				return key, nil
			}
		}
		other = append(other, g.other...)
	}
	var parts []string
	if len(ageIDs) > 0 {
		parts = append(parts, "age recipients "+strings.Join(ageIDs, ", "))
	}
	if len(pgpIDs) > 0 {
		parts = append(parts, "PGP fingerprints "+strings.Join(pgpIDs, ", "))
	}
	if len(other) > 0 {
		slices.Sort(other)
		parts = append(parts, strings.Join(slices.Compact(other), ", ")+" keys (not supported by ferry)")
	}
	if len(parts) == 0 {
		return nil, errors.New("the sops metadata lists no recipient")
	}
	return nil, fmt.Errorf("none of the %d age and %d PGP keys in the decryption Secret can decrypt the data key; the file is encrypted for %s",
		len(k.age), len(k.pgp), strings.Join(parts, "; "))
}

func (k *Keys) decryptAge(enc string) ([]byte, error) {
	if len(k.age) == 0 {
		return nil, errors.New("no age identity")
	}
	r, err := age.Decrypt(agearmor.NewReader(strings.NewReader(enc)), k.age...)
	if err != nil {
		return nil, err
	}
	return readKey(r)
}

func (k *Keys) decryptPGP(enc string) ([]byte, error) {
	if len(k.pgp) == 0 {
		return nil, errors.New("no PGP key")
	}
	block, err := pgparmor.Decode(strings.NewReader(enc))
	if err != nil {
		return nil, err
	}
	md, err := openpgp.ReadMessage(block.Body, k.pgp, nil, nil)
	if err != nil {
		return nil, err
	}
	return readKey(md.UnverifiedBody)
}

func readKey(r io.Reader) ([]byte, error) {
	key, err := io.ReadAll(io.LimitReader(r, dataKeySize+1))
	if err != nil {
		return nil, err
	}
	if len(key) != dataKeySize {
		return nil, fmt.Errorf("the data key has %d bytes instead of %d", len(key), dataKeySize)
	}
	return key, nil
}
