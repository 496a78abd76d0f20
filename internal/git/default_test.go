package git_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ferrycd/ferry/internal/git"
	"github.com/ferrycd/ferry/internal/gitserver"
)

// TestCloneDefaultBranchShallow clones "master" when no reference is
// given, as Flux, and checks a branch clone is shallow and has only the
// branch.
func TestCloneDefaultBranchShallow(t *testing.T) {
	srv := gitserver.New(t.TempDir())
	repo, err := srv.InitRepo("org/app", "master")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := repo.CommitFiles("one", map[string]string{"a": "1"}); err != nil {
		t.Fatal(err)
	}
	head, err := repo.CommitFiles("two", map[string]string{"a": "2"})
	if err != nil {
		t.Fatal(err)
	}
	if err := repo.Checkout("other", true); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)

	dir := filepath.Join(t.TempDir(), "checkout")
	c, err := git.Clone(ctx(t), dir, git.CloneOptions{URL: srv.RepoURL("org/app")})
	if err != nil {
		t.Fatal(err)
	}
	if want := "master@sha1:" + head; c.Revision() != want {
		t.Errorf("Revision() = %s, want %s", c.Revision(), want)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "a")); err != nil || string(b) != "2" {
		t.Errorf("a = %q, %v", b, err)
	}
	shallow, err := os.ReadFile(filepath.Join(dir, ".git", "shallow"))
	if err != nil || len(shallow) == 0 {
		t.Errorf("the branch clone is not shallow: %q, %v", shallow, err)
	}
	refs, err := gitserver.Git(dir, "for-each-ref", "--format=%(refname)")
	if err != nil {
		t.Fatal(err)
	}
	if refs != "refs/heads/master" {
		t.Errorf("the clone has refs %q, want only refs/heads/master", refs)
	}
}
