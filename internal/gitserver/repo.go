package gitserver

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// FixedDate is the author and committer date of every commit the helpers
// make, so commit hashes are reproducible.
const FixedDate = "2024-01-01T00:00:00Z"

// gitEnv isolates git from the user's configuration and pins the identity
// and dates of commits.
var gitEnv = []string{
	"GIT_CONFIG_NOSYSTEM=1",
	"GIT_CONFIG_GLOBAL=/dev/null",
	"GIT_AUTHOR_NAME=Ferry Test",
	"GIT_AUTHOR_EMAIL=test@ferry.invalid",
	"GIT_AUTHOR_DATE=" + FixedDate,
	"GIT_COMMITTER_NAME=Ferry Test",
	"GIT_COMMITTER_EMAIL=test@ferry.invalid",
	"GIT_COMMITTER_DATE=" + FixedDate,
	"GIT_TERMINAL_PROMPT=0",
	"LC_ALL=C",
}

// Git runs the system git with args in dir, isolated from the user's
// configuration and with a fixed author, and returns its trimmed standard
// output.
func Git(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), gitEnv...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(stdout.String()), nil
}

// Repo is a non-bare Git repository (a working checkout) on disk.
type Repo struct {
	// Dir is the working tree; the repository is Dir/.git.
	Dir string
}

// InitRepo creates a non-bare repository in dir (created if missing) whose
// initial branch is branch.
func InitRepo(dir, branch string) (*Repo, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("init repository %s: %w", dir, err)
	}
	if _, err := Git(dir, "init", "--quiet", "--initial-branch="+branch); err != nil {
		return nil, fmt.Errorf("init repository %s: %w", dir, err)
	}
	return &Repo{Dir: dir}, nil
}

// InitRepo creates a non-bare repository at the slash-separated path below
// the server root; it is served at RepoURL(path).
func (s *Server) InitRepo(path, branch string) (*Repo, error) {
	return InitRepo(filepath.Join(s.root, filepath.FromSlash(path)), branch)
}

// InitBareRepo creates a bare repository at the slash-separated path below
// the server root and pushes every branch of src into it. It is served at
// RepoURL(path).
func (s *Server) InitBareRepo(path string, src *Repo) error {
	dir := filepath.Join(s.root, filepath.FromSlash(path))
	if _, err := Git(s.root, "clone", "--quiet", "--bare", src.Dir, dir); err != nil {
		return fmt.Errorf("create bare repository %s: %w", path, err)
	}
	return nil
}

// WriteFile writes content to the slash-separated path name in the working
// tree, creating parent directories. It does not commit.
func (r *Repo) WriteFile(name, content string) error {
	p := filepath.Join(r.Dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

// WriteFiles writes every name → content pair with WriteFile.
func (r *Repo) WriteFiles(files map[string]string) error {
	for name, content := range files {
		if err := r.WriteFile(name, content); err != nil {
			return err
		}
	}
	return nil
}

// Remove deletes the slash-separated paths (files or directories) from the
// working tree. It does not commit.
func (r *Repo) Remove(names ...string) error {
	for _, name := range names {
		if err := os.RemoveAll(filepath.Join(r.Dir, filepath.FromSlash(name))); err != nil {
			return fmt.Errorf("remove %s: %w", name, err)
		}
	}
	return nil
}

// Commit stages every change in the working tree and commits it with
// message, and returns the new HEAD hash. A commit with no changes is
// allowed.
func (r *Repo) Commit(message string) (string, error) {
	if _, err := Git(r.Dir, "add", "--all"); err != nil {
		return "", err
	}
	if _, err := Git(r.Dir, "commit", "--quiet", "--allow-empty", "--no-gpg-sign", "-m", message); err != nil {
		return "", err
	}
	return r.Head()
}

// CommitFiles writes files and commits them with message, returning the new
// HEAD hash.
func (r *Repo) CommitFiles(message string, files map[string]string) (string, error) {
	if err := r.WriteFiles(files); err != nil {
		return "", err
	}
	return r.Commit(message)
}

// Head returns the full hash of the commit HEAD points to.
func (r *Repo) Head() (string, error) {
	return Git(r.Dir, "rev-parse", "HEAD")
}

// Checkout switches the working tree to branch, creating it from HEAD when
// create is true.
func (r *Repo) Checkout(branch string, create bool) error {
	args := []string{"checkout", "--quiet"}
	if create {
		args = append(args, "-b")
	}
	_, err := Git(r.Dir, append(args, branch)...)
	return err
}
