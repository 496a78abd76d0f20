package git_test

import (
	"errors"
	"strings"
	"testing"

	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"

	"github.com/ferrycd/ferry/internal/git"
	"github.com/ferrycd/ferry/internal/pgptest"
)

func TestVerifyCommitAndTag(t *testing.T) {
	trusted, err := pgptest.NewKey("trusted", "trusted@example.com")
	if err != nil {
		t.Fatal(err)
	}
	other, err := pgptest.NewKey("other", "other@example.com")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := gogit.PlainInit(dir, false); err != nil {
		t.Fatal(err)
	}
	signed, err := pgptest.Commit(dir, "signed", map[string]string{"a.yaml": "a: 1\n"}, trusted)
	if err != nil {
		t.Fatal(err)
	}
	byOther, err := pgptest.Commit(dir, "signed by another key", map[string]string{"a.yaml": "a: 2\n"}, other)
	if err != nil {
		t.Fatal(err)
	}
	unsigned, err := pgptest.Commit(dir, "unsigned", map[string]string{"a.yaml": "a: 3\n"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for name, key := range map[string]*pgptest.Key{"v1.0.0": trusted, "v2.0.0": other, "v3.0.0": nil} {
		if err := pgptest.Tag(dir, name, signed, key); err != nil {
			t.Fatal(err)
		}
	}
	repo, err := gogit.PlainOpen(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := repo.Storer.SetReference(plumbing.NewHashReference("refs/tags/light", plumbing.NewHash(signed))); err != nil {
		t.Fatal(err)
	}
	keyID := strings.ToUpper(trusted.Entity.PrimaryKey.KeyIdString())
	rings := []string{other.PublicArmored, trusted.PublicArmored}

	commits := map[string]struct {
		hash    string
		rings   []string
		wantErr error
	}{
		"signed by a trusted key":    {hash: signed, rings: rings},
		"signed by an untrusted key": {hash: byOther, rings: []string{trusted.PublicArmored}, wantErr: git.ErrNoTrustedKey},
		"unsigned":                   {hash: unsigned, rings: rings, wantErr: git.ErrNotSigned},
		"no keys":                    {hash: signed, wantErr: git.ErrNoTrustedKey},
		"garbage key":                {hash: signed, rings: []string{"not a key"}, wantErr: git.ErrNoTrustedKey},
	}
	for name, tt := range commits {
		t.Run("commit "+name, func(t *testing.T) {
			s, err := git.VerifyCommit(dir, tt.hash, tt.rings)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.hash) {
					t.Fatalf("got %v, want %v naming the commit", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.KeyID != keyID || s.Object != tt.hash {
				t.Errorf("signer %+v, want key %s on %s", s, keyID, tt.hash)
			}
		})
	}

	tags := map[string]struct {
		ref     string
		wantErr error
	}{
		"signed by a trusted key":    {ref: "refs/tags/v1.0.0"},
		"signed by an untrusted key": {ref: "refs/tags/v2.0.0", wantErr: git.ErrNoTrustedKey},
		"unsigned":                   {ref: "refs/tags/v3.0.0", wantErr: git.ErrNotSigned},
		"lightweight":                {ref: "refs/tags/light", wantErr: git.ErrNoTag},
		"a branch":                   {ref: "refs/heads/master", wantErr: git.ErrNoTag},
	}
	for name, tt := range tags {
		t.Run("tag "+name, func(t *testing.T) {
			trustedOnly := []string{trusted.PublicArmored}
			s, err := git.VerifyTag(dir, tt.ref, trustedOnly)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("got %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.KeyID != keyID || s.Object != plumbing.ReferenceName(tt.ref).Short() {
				t.Errorf("signer %+v, want key %s on %s", s, keyID, tt.ref)
			}
		})
	}
}
