package git_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"

	"github.com/ferrycd/ferry/internal/git"
	"github.com/ferrycd/ferry/internal/gitserver"
	"github.com/ferrycd/ferry/internal/pgptest"
)

// pushFixture is a bare repository "org/fleet" on a git server that takes
// pushes with basic auth; main holds two files.
type pushFixture struct {
	srv  *gitserver.Server
	bare string
	opts git.CloneOptions
}

func newPushFixture(t *testing.T) *pushFixture {
	t.Helper()
	srv := gitserver.New(t.TempDir()).WithBasicAuth(testUser, testPassword)
	srv.AllowPush = true
	src, err := gitserver.InitRepo(filepath.Join(t.TempDir(), "src"), "main")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := src.CommitFiles("initial", map[string]string{"app.yaml": "image: web:1\n", "README.md": "fleet\n"}); err != nil {
		t.Fatal(err)
	}
	if err := srv.InitBareRepo("org/fleet", src); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return &pushFixture{srv: srv, bare: filepath.Join(srv.Root(), "org/fleet"), opts: git.CloneOptions{
		URL: srv.RepoURL("org/fleet"), Branch: "main", Auth: &git.Auth{Username: testUser, Password: testPassword},
	}}
}

func (f *pushFixture) head(t *testing.T, branch string) string {
	t.Helper()
	out, err := gitserver.Git(f.bare, "rev-parse", "--verify", "--quiet", "refs/heads/"+branch)
	if err != nil {
		return ""
	}
	return out
}

func (f *pushFixture) git(t *testing.T, args ...string) string {
	t.Helper()
	out, err := gitserver.Git(f.bare, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func edit(t *testing.T, w *git.Workspace, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(w.Dir, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

var bot = git.Signature{Name: "ferry bot", Email: "bot@ferry.invalid", When: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}

func TestCommitAndPush(t *testing.T) {
	ctx := context.Background()
	f := newPushFixture(t)
	before := f.head(t, "main")
	w, from, err := git.CheckoutForUpdate(ctx, filepath.Join(t.TempDir(), "w"), f.opts, "")
	if err != nil {
		t.Fatal(err)
	}
	if from.Hash != before || w.Branch() != "main" {
		t.Fatalf("checked out %s on %s, want %s on main", from.Hash, w.Branch(), before)
	}
	edit(t, w, "app.yaml", "image: web:2\n")
	edit(t, w, "README.md", "an unlisted change, never committed\n")
	hash, err := w.Commit(git.CommitRequest{Files: []string{"app.yaml"}, Author: bot, Message: "update web"})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Push(ctx, "", nil); err != nil {
		t.Fatal(err)
	}
	if got := f.head(t, "main"); got != hash {
		t.Fatalf("main = %s, want the pushed %s", got, hash)
	}
	if files := f.git(t, "show", "--name-only", "--format=", hash); files != "app.yaml" {
		t.Errorf("the commit touched %q, want only app.yaml", files)
	}
	if got := f.git(t, "show", hash+":README.md"); got != "fleet" {
		t.Errorf("README.md = %q: an unlisted file was committed", got)
	}
	if parent := f.git(t, "rev-parse", hash+"^"); parent != before {
		t.Errorf("parent = %s, want %s", parent, before)
	}

	// The same content again: nothing to commit, the branch stays.
	w2, _, err := git.CheckoutForUpdate(ctx, filepath.Join(t.TempDir(), "w2"), f.opts, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w2.Commit(git.CommitRequest{Files: []string{"app.yaml"}, Author: bot, Message: "again"}); !errors.Is(err, git.ErrNothingToCommit) {
		t.Errorf("Commit of unchanged files = %v, want ErrNothingToCommit", err)
	}
}

func TestPushBranch(t *testing.T) {
	ctx := context.Background()
	f := newPushFixture(t)
	main := f.head(t, "main")
	w, _, err := git.CheckoutForUpdate(ctx, filepath.Join(t.TempDir(), "w"), f.opts, "image-updates")
	if err != nil {
		t.Fatal(err)
	}
	edit(t, w, "app.yaml", "image: web:2\n")
	first, err := w.Commit(git.CommitRequest{Files: []string{"app.yaml"}, Author: bot, Message: "web 2"})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Push(ctx, "refs/heads/image-updates:refs/heads/review", map[string]string{}); err != nil {
		t.Fatal(err)
	}
	if f.head(t, "main") != main || f.head(t, "image-updates") != first || f.head(t, "review") != first {
		t.Fatalf("main %s (want %s), image-updates %s and review %s (want %s)", f.head(t, "main"), main, f.head(t, "image-updates"), f.head(t, "review"), first)
	}
	// The branch exists now: the next workspace starts from its head.
	w2, _, err := git.CheckoutForUpdate(ctx, filepath.Join(t.TempDir(), "w2"), f.opts, "image-updates")
	if err != nil {
		t.Fatal(err)
	}
	edit(t, w2, "app.yaml", "image: web:3\n")
	second, err := w2.Commit(git.CommitRequest{Files: []string{"app.yaml"}, Author: bot, Message: "web 3"})
	if err != nil {
		t.Fatal(err)
	}
	if err := w2.Push(ctx, "", nil); err != nil {
		t.Fatal(err)
	}
	if parent := f.git(t, "rev-parse", second+"^"); parent != first {
		t.Errorf("the second commit's parent is %s, want the branch's %s", parent, first)
	}
	if _, err := w2.Commit(git.CommitRequest{Files: []string{"app.yaml"}, Author: bot}); !errors.Is(err, git.ErrNothingToCommit) {
		t.Errorf("%v", err)
	}
	if err := w2.Push(ctx, "+refs/heads/image-updates:refs/heads/main", nil); err == nil || !strings.Contains(err.Error(), "invalid spec.git.push.refspec") {
		t.Errorf("a forced refspec was not refused: %v", err)
	}
}

func TestPushRefusedWhenTheRemoteMoved(t *testing.T) {
	ctx := context.Background()
	f := newPushFixture(t)
	w, _, err := git.CheckoutForUpdate(ctx, filepath.Join(t.TempDir(), "w"), f.opts, "")
	if err != nil {
		t.Fatal(err)
	}
	// A human pushes meanwhile.
	human := filepath.Join(t.TempDir(), "human")
	if _, err := gitserver.Git(f.srv.Root(), "clone", "--quiet", f.bare, human); err != nil {
		t.Fatal(err)
	}
	r := &gitserver.Repo{Dir: human}
	theirs, err := r.CommitFiles("human", map[string]string{"README.md": "mine\n"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := gitserver.Git(human, "push", "--quiet", "origin", "main"); err != nil {
		t.Fatal(err)
	}
	edit(t, w, "app.yaml", "image: web:2\n")
	if _, err := w.Commit(git.CommitRequest{Files: []string{"app.yaml"}, Author: bot, Message: "update"}); err != nil {
		t.Fatal(err)
	}
	err = w.Push(ctx, "", nil)
	if !errors.Is(err, git.ErrRemoteMoved) || !strings.Contains(err.Error(), "moved since the checkout") {
		t.Fatalf("Push = %v, want ErrRemoteMoved", err)
	}
	if got := f.head(t, "main"); got != theirs {
		t.Errorf("main = %s, want the human's %s untouched", got, theirs)
	}
	if strings.Contains(err.Error(), testPassword) {
		t.Errorf("the error leaks the password: %v", err)
	}
}

func TestSignedCommit(t *testing.T) {
	ctx := context.Background()
	f := newPushFixture(t)
	key, err := pgptest.NewKey("ferry bot", "bot@ferry.invalid")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	a, _ := armor.Encode(&buf, openpgp.PrivateKeyType, nil)
	if err := key.Entity.SerializePrivate(a, nil); err != nil {
		t.Fatal(err)
	}
	a.Close()
	signer, err := git.SigningKeyFromSecret(map[string][]byte{"git.asc": buf.Bytes()})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "w")
	w, _, err := git.CheckoutForUpdate(ctx, dir, f.opts, "")
	if err != nil {
		t.Fatal(err)
	}
	edit(t, w, "app.yaml", "image: web:2\n")
	hash, err := w.Commit(git.CommitRequest{Files: []string{"app.yaml"}, Author: bot, Message: "signed", SignKey: signer})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := git.VerifyCommit(dir, hash, []string{key.PublicArmored}); err != nil {
		t.Errorf("the commit does not verify with the key: %v", err)
	}

	for data, want := range map[string]string{
		"":                "no 'git.asc' key",
		"not a key":       "not an armored PGP key",
		key.PublicArmored: "holds no private key",
	} {
		m := map[string][]byte{}
		if data != "" {
			m["git.asc"] = []byte(data)
		}
		if _, err := git.SigningKeyFromSecret(m); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("SigningKeyFromSecret(%.20q) = %v, want %q", data, err, want)
		}
	}
}

func TestPushWrongPasswordIsRedacted(t *testing.T) {
	f := newPushFixture(t)
	opts := f.opts
	opts.Auth = &git.Auth{Username: testUser, Password: testPassword + "-wrong"}
	_, _, err := git.CheckoutForUpdate(context.Background(), filepath.Join(t.TempDir(), "w"), opts, "")
	if err == nil || !errors.Is(err, git.ErrAuthenticationFailed) || strings.Contains(err.Error(), testPassword) {
		t.Errorf("err = %v, want an authentication failure without the password", err)
	}
}

// TestCheckoutCommitNeedsPushBranch checks out a commit (a full fetch, not
// the tips): it needs a push branch, which is created from that commit.
func TestCheckoutCommitNeedsPushBranch(t *testing.T) {
	ctx := context.Background()
	f := newPushFixture(t)
	opts := f.opts
	opts.Branch, opts.Commit = "", f.head(t, "main")
	if _, _, err := git.CheckoutForUpdate(ctx, filepath.Join(t.TempDir(), "w"), opts, ""); err == nil || !strings.Contains(err.Error(), "spec.git.push.branch is required") {
		t.Fatalf("a commit checkout without a push branch: %v", err)
	}
	w, from, err := git.CheckoutForUpdate(ctx, filepath.Join(t.TempDir(), "w2"), opts, "pinned")
	if err != nil {
		t.Fatal(err)
	}
	if from.Hash != opts.Commit || w.Branch() != "pinned" {
		t.Fatalf("checked out %s on %s", from.Hash, w.Branch())
	}
	edit(t, w, "app.yaml", "image: web:9\n")
	hash, err := w.Commit(git.CommitRequest{Files: []string{"app.yaml"}, Author: bot, Message: "pinned"})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Push(ctx, "", nil); err != nil {
		t.Fatal(err)
	}
	if f.head(t, "pinned") != hash || f.git(t, "rev-parse", hash+"^") != opts.Commit {
		t.Errorf("pinned = %s (want %s on %s)", f.head(t, "pinned"), hash, opts.Commit)
	}
}
