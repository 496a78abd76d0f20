package git_test

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/ferrycd/ferry/internal/git"
	"github.com/ferrycd/ferry/internal/gitserver"
)

// files lists the regular files below dir, slash-separated, without .git.
func files(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == ".git" {
			return filepath.SkipDir
		}
		if d.Type().IsRegular() && d.Name() != ".git" {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

func TestCloneSparseCheckout(t *testing.T) {
	f := newFixture(t, nil, false)
	if _, err := f.repo.CommitFiles("more", map[string]string{
		"apps/a/app.yaml":   "a",
		"apps/b/app.yaml":   "b",
		"infra/infra.yaml":  "i",
		"deploy/extra.yaml": "e",
	}); err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct {
		dirs []string
		want []string
	}{
		"one directory":      {dirs: []string{"deploy"}, want: []string{"deploy/configmap.yaml", "deploy/extra.yaml"}},
		"nested and dotted":  {dirs: []string{"./apps/a/", "infra"}, want: []string{"apps/a/app.yaml", "infra/infra.yaml"}},
		"root is everything": {dirs: []string{"./"}, want: []string{"README.md", "apps/a/app.yaml", "apps/b/app.yaml", "deploy/configmap.yaml", "deploy/extra.yaml", "infra/infra.yaml"}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "checkout")
			if _, err := git.Clone(ctx(t), dir, git.CloneOptions{URL: f.url, Branch: "main", SparseCheckout: tt.dirs}); err != nil {
				t.Fatal(err)
			}
			if got := files(t, dir); strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("checkout has %v, want %v", got, tt.want)
			}
		})
	}
	_, err := git.Clone(ctx(t), t.TempDir(), git.CloneOptions{URL: f.url, Branch: "main", SparseCheckout: []string{"deploy", "nope"}})
	if err == nil || !strings.Contains(err.Error(), "sparse checkout directory 'nope' does not exist") {
		t.Errorf("missing sparse directory: err = %v", err)
	}
}

// newSubmoduleFixture serves "org/lib" and makes it a submodule "lib" of
// the fixture's "org/app" at the server's http URL; lib itself has a
// nested submodule "deep" pointing to "org/deep".
func newSubmoduleFixture(t *testing.T) (f *fixture, head string) {
	t.Helper()
	f = newFixture(t, nil, false)
	deep, err := f.srv.InitRepo("org/deep", "main")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := deep.CommitFiles("deep", map[string]string{"deep.txt": "deep"}); err != nil {
		t.Fatal(err)
	}
	lib, err := f.srv.InitRepo("org/lib", "main")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lib.CommitFiles("lib", map[string]string{"lib.yaml": "lib"}); err != nil {
		t.Fatal(err)
	}
	if _, err := gitserver.Git(lib.Dir, "submodule", "--quiet", "add", f.srv.RepoURL("org/deep"), "deep"); err != nil {
		t.Fatal(err)
	}
	if _, err := lib.Commit("add deep"); err != nil {
		t.Fatal(err)
	}
	if _, err := gitserver.Git(f.repo.Dir, "submodule", "--quiet", "add", f.srv.RepoURL("org/lib"), "lib"); err != nil {
		t.Fatal(err)
	}
	head, err = f.repo.Commit("add lib")
	if err != nil {
		t.Fatal(err)
	}
	return f, head
}

func TestCloneSubmodules(t *testing.T) {
	f, head := newSubmoduleFixture(t)

	dir := filepath.Join(t.TempDir(), "with")
	c, err := git.Clone(ctx(t), dir, git.CloneOptions{URL: f.url, Branch: "main", RecurseSubmodules: true})
	if err != nil {
		t.Fatal(err)
	}
	if c.Hash != head {
		t.Errorf("checked out %s, want %s", c.Hash, head)
	}
	for _, name := range []string{"lib/lib.yaml", "lib/deep/deep.txt", "README.md"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("%s missing with submodules: %v", name, err)
		}
	}

	dir = filepath.Join(t.TempDir(), "without")
	if _, err := git.Clone(ctx(t), dir, git.CloneOptions{URL: f.url, Branch: "main"}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "lib", "lib.yaml")); !os.IsNotExist(err) {
		t.Errorf("submodule checked out without RecurseSubmodules: %v", err)
	}
}
