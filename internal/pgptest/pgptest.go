package pgptest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// Key is a generated PGP key pair.
type Key struct {
	// Entity holds the private key, to sign with.
	Entity *openpgp.Entity
	// PublicArmored is the ASCII-armored public key, as stored under a
	// "*.asc" key of a verification Secret.
	PublicArmored string
}

// NewKey generates an Ed25519 PGP key for name <email>.
func NewKey(name, email string) (*Key, error) {
	cfg := &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA, Time: func() time.Time { return time.Now() }}
	e, err := openpgp.NewEntity(name, "", email, cfg)
	if err != nil {
		return nil, fmt.Errorf("generate pgp key: %w", err)
	}
	var buf bytes.Buffer
	w, err := armor.Encode(&buf, openpgp.PublicKeyType, nil)
	if err != nil {
		return nil, fmt.Errorf("armor pgp key: %w", err)
	}
	if err := e.Serialize(w); err != nil {
		return nil, fmt.Errorf("serialize pgp key: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("armor pgp key: %w", err)
	}
	return &Key{Entity: e, PublicArmored: buf.String()}, nil
}

// signature is the fixed author of the commits and tags made here.
func signature() *object.Signature {
	return &object.Signature{Name: "ferry test", Email: "test@ferry.invalid", When: time.Now()}
}

// Commit writes files into the working checkout at dir, commits every change
// on the current branch signed with key (unsigned when key is nil) and
// returns the new commit hash.
func Commit(dir, message string, files map[string]string, key *Key) (string, error) {
	repo, err := gogit.PlainOpen(dir)
	if err != nil {
		return "", fmt.Errorf("open %s: %w", dir, err)
	}
	w, err := repo.Worktree()
	if err != nil {
		return "", fmt.Errorf("worktree of %s: %w", dir, err)
	}
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return "", err
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			return "", err
		}
		if _, err := w.Add(name); err != nil {
			return "", fmt.Errorf("add %s: %w", name, err)
		}
	}
	opts := &gogit.CommitOptions{Author: signature(), AllowEmptyCommits: true}
	if key != nil {
		opts.SignKey = key.Entity
	}
	h, err := w.Commit(message, opts)
	if err != nil {
		return "", fmt.Errorf("commit in %s: %w", dir, err)
	}
	return h.String(), nil
}

// Tag creates the annotated tag name on commit in the repository at dir,
// signed with key (unsigned when key is nil).
func Tag(dir, name, commit string, key *Key) error {
	repo, err := gogit.PlainOpen(dir)
	if err != nil {
		return fmt.Errorf("open %s: %w", dir, err)
	}
	opts := &gogit.CreateTagOptions{Tagger: signature(), Message: "release " + name}
	if key != nil {
		opts.SignKey = key.Entity
	}
	if _, err := repo.CreateTag(name, plumbing.NewHash(commit), opts); err != nil {
		return fmt.Errorf("tag %s: %w", name, err)
	}
	return nil
}
