package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferrycd/ferry/internal/gitserver"
)

func TestCleanRepoPath(t *testing.T) {
	tests := map[string]struct{ prefix, path, want string }{
		"root":                  {"", "./", "./"},
		"dot":                   {"", ".", "./"},
		"plain":                 {"", "apps/dev", "./apps/dev"},
		"dotted":                {"", "./apps/dev/", "./apps/dev"},
		"inside a subdirectory": {"examples/", "apps/dev", "./examples/apps/dev"},
		"subdirectory root":     {"examples/", "./", "./examples"},
		"climbs out":            {"examples/", "../../etc", "./../etc"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := cleanRepoPath(tt.prefix, tt.path); got != tt.want {
				t.Errorf("cleanRepoPath(%q, %q) = %q, want %q", tt.prefix, tt.path, got, tt.want)
			}
		})
	}
}

func TestResolveSync(t *testing.T) {
	repoDir := t.TempDir()
	repo, err := gitserver.InitRepo(repoDir, "trunk")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := repo.CommitFiles("init", map[string]string{"fleet/apps/dev/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n"}); err != nil {
		t.Fatal(err)
	}
	plain := t.TempDir()
	if err := os.WriteFile(filepath.Join(plain, "x.yaml"), nil, 0o644); err != nil {
		t.Fatal(err)
	}

	t.Run("subdirectory of a checkout", func(t *testing.T) {
		src, err := resolveSync(&devOptions{sync: filepath.Join(repoDir, "fleet"), path: "apps/dev"})
		if err != nil {
			t.Fatal(err)
		}
		top, _ := filepath.EvalSymlinks(repoDir)
		gotTop, _ := filepath.EvalSymlinks(src.repo)
		if gotTop != top || src.path != "./fleet/apps/dev" || src.branch != "trunk" {
			t.Errorf("got repo %q path %q branch %q; want %q ./fleet/apps/dev trunk", src.repo, src.path, src.branch, top)
		}
	})
	t.Run("remote URL", func(t *testing.T) {
		src, err := resolveSync(&devOptions{sync: "https://example.com/org/fleet.git", path: "clusters/dev"})
		if err != nil {
			t.Fatal(err)
		}
		if src.url != "https://example.com/org/fleet.git" || src.branch != "main" || src.path != "./clusters/dev" {
			t.Errorf("unexpected %+v", src)
		}
	})
	errs := map[string]struct {
		opts devOptions
		want string
	}{
		"missing directory": {devOptions{sync: filepath.Join(plain, "nope"), path: "./"}, "not a directory"},
		"not a repository":  {devOptions{sync: plain, path: "./"}, "not inside a Git repository"},
		"missing path":      {devOptions{sync: repoDir, path: "apps/prod"}, "no such directory"},
		"escaping path":     {devOptions{sync: filepath.Join(repoDir, "fleet"), path: "../../.."}, "leaves the repository"},
	}
	for name, tt := range errs {
		t.Run(name, func(t *testing.T) {
			_, err := resolveSync(&tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got error %v, want one containing %q", err, tt.want)
			}
		})
	}
}
