package git

import (
	"errors"
	"fmt"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp"
	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
)

var (
	// ErrNotSigned means the commit or tag carries no PGP signature.
	ErrNotSigned = errors.New("not signed")
	// ErrNoTrustedKey means the signature was made by none of the trusted
	// keys, or does not match the object.
	ErrNoTrustedKey = errors.New("no trusted key verifies the signature")
	// ErrNoTag means a tag signature was asked for but the checkout did not
	// come from an annotated tag.
	ErrNoTag = errors.New("no tag object to verify")
)

// Signer describes a verified signature.
type Signer struct {
	// Object is the verified commit hash, or the tag name.
	Object string
	// KeyID is the hexadecimal ID of the trusted key that made the
	// signature.
	KeyID string
}

// VerifyCommit checks that the commit hash in the repository cloned into
// dir is signed by one of the armored PGP public key rings.
func VerifyCommit(dir, hash string, keyRings []string) (*Signer, error) {
	repo, err := gogit.PlainOpen(dir)
	if err != nil {
		return nil, fmt.Errorf("open clone to verify commit '%s': %w", hash, err)
	}
	c, err := repo.CommitObject(plumbing.NewHash(hash))
	if err != nil {
		return nil, fmt.Errorf("read commit '%s': %w", hash, err)
	}
	if strings.TrimSpace(c.PGPSignature) == "" {
		return nil, fmt.Errorf("commit '%s' is %w", hash, ErrNotSigned)
	}
	keyID, err := verifyAny(c.Verify, keyRings)
	if err != nil {
		return nil, fmt.Errorf("signature of commit '%s': %w", hash, err)
	}
	return &Signer{Object: hash, KeyID: keyID}, nil
}

// VerifyTag checks that the annotated tag reference (a full name such as
// "refs/tags/v1.0.0") in the repository cloned into dir is signed by one of
// the armored PGP public key rings. A lightweight tag, or a reference that
// is not a tag, fails with ErrNoTag.
func VerifyTag(dir, reference string, keyRings []string) (*Signer, error) {
	name := plumbing.ReferenceName(reference)
	if !name.IsTag() {
		return nil, fmt.Errorf("cannot verify a tag signature: the checkout reference '%s' is not a tag: %w", reference, ErrNoTag)
	}
	repo, err := gogit.PlainOpen(dir)
	if err != nil {
		return nil, fmt.Errorf("open clone to verify tag '%s': %w", name.Short(), err)
	}
	ref, err := repo.Reference(name, true)
	if err != nil {
		return nil, fmt.Errorf("resolve tag '%s': %w", name.Short(), err)
	}
	tag, err := repo.TagObject(ref.Hash())
	if err != nil {
		return nil, fmt.Errorf("cannot verify a tag signature: '%s' is a lightweight tag: %w", name.Short(), ErrNoTag)
	}
	if strings.TrimSpace(tag.PGPSignature) == "" {
		return nil, fmt.Errorf("tag '%s' is %w", name.Short(), ErrNotSigned)
	}
	keyID, err := verifyAny(tag.Verify, keyRings)
	if err != nil {
		return nil, fmt.Errorf("signature of tag '%s': %w", name.Short(), err)
	}
	return &Signer{Object: name.Short(), KeyID: keyID}, nil
}

// verifyAny tries each key ring with verify and returns the ID of the key
// that verified the signature.
func verifyAny(verify func(string) (*openpgp.Entity, error), keyRings []string) (string, error) {
	if len(keyRings) == 0 {
		return "", fmt.Errorf("%w: no public keys given", ErrNoTrustedKey)
	}
	var last error
	for _, ring := range keyRings {
		e, err := verify(ring)
		if err == nil && e != nil && e.PrimaryKey != nil {
			return strings.ToUpper(e.PrimaryKey.KeyIdString()), nil
		}
		last = err
	}
	return "", fmt.Errorf("%w (%d key ring(s) tried, last error: %v)", ErrNoTrustedKey, len(keyRings), last)
}
