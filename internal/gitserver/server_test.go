package gitserver_test

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferrycd/ferry/internal/gitserver"
)

// newRepo starts a server over a temporary root holding one working repo
// "org/app" on branch main with one commit.
func newRepo(t *testing.T, srv *gitserver.Server) (*gitserver.Repo, string) {
	t.Helper()
	repo, err := srv.InitRepo("org/app", "main")
	if err != nil {
		t.Fatal(err)
	}
	head, err := repo.CommitFiles("initial", map[string]string{
		"README.md":             "hello\n",
		"deploy/configmap.yaml": "kind: ConfigMap\n",
	})
	if err != nil {
		t.Fatal(err)
	}
	return repo, head
}

func start(t *testing.T, srv *gitserver.Server, useTLS bool) string {
	t.Helper()
	var base string
	var err error
	if useTLS {
		base, err = srv.StartTLS()
	} else {
		base, err = srv.Start()
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return base
}

func withUser(t *testing.T, raw, user, pass string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(user, pass)
	return u.String()
}

func TestCloneWorkingRepo(t *testing.T) {
	srv := gitserver.New(t.TempDir())
	_, head := newRepo(t, srv)
	start(t, srv, false)

	dst := filepath.Join(t.TempDir(), "clone")
	if _, err := gitserver.Git("", "clone", "--quiet", srv.RepoURL("org/app"), dst); err != nil {
		t.Fatal(err)
	}
	got, err := gitserver.Git(dst, "rev-parse", "HEAD")
	if err != nil {
		t.Fatal(err)
	}
	if got != head {
		t.Errorf("cloned HEAD = %s, want %s", got, head)
	}
	b, err := os.ReadFile(filepath.Join(dst, "deploy", "configmap.yaml"))
	if err != nil || string(b) != "kind: ConfigMap\n" {
		t.Errorf("deploy/configmap.yaml = %q, %v", b, err)
	}
}

func TestNewCommitIsServed(t *testing.T) {
	srv := gitserver.New(t.TempDir())
	repo, _ := newRepo(t, srv)
	start(t, srv, false)

	if err := repo.Remove("README.md"); err != nil {
		t.Fatal(err)
	}
	head, err := repo.CommitFiles("second", map[string]string{"b.txt": "b"})
	if err != nil {
		t.Fatal(err)
	}
	out, err := gitserver.Git("", "ls-remote", srv.RepoURL("org/app"), "refs/heads/main")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out, head) {
		t.Errorf("ls-remote = %q, want %s", out, head)
	}
	dst := filepath.Join(t.TempDir(), "clone")
	if _, err := gitserver.Git("", "clone", "--quiet", srv.RepoURL("org/app"), dst); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dst, "README.md")); !os.IsNotExist(err) {
		t.Errorf("README.md should be deleted, stat err = %v", err)
	}
}

func TestCloneBareRepo(t *testing.T) {
	srv := gitserver.New(t.TempDir())
	repo, head := newRepo(t, srv)
	if err := srv.InitBareRepo("bare/app.git", repo); err != nil {
		t.Fatal(err)
	}
	start(t, srv, false)

	out, err := gitserver.Git("", "ls-remote", srv.RepoURL("bare/app.git"), "refs/heads/main")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out, head) {
		t.Errorf("ls-remote = %q, want %s", out, head)
	}
}

func TestAuth(t *testing.T) {
	tests := map[string]struct {
		user, pass, token string // server side
		clientUser        string
		clientPass        string
		header            string
		wantErr           bool
	}{
		"no auth required":     {},
		"basic ok":             {user: "git", pass: "s3cret", clientUser: "git", clientPass: "s3cret"},
		"basic wrong password": {user: "git", pass: "s3cret", clientUser: "git", clientPass: "nope", wantErr: true},
		"basic missing":        {user: "git", pass: "s3cret", wantErr: true},
		"bearer ok":            {token: "tok3n", header: "Authorization: Bearer tok3n"},
		"bearer wrong":         {token: "tok3n", header: "Authorization: Bearer other", wantErr: true},
		"bearer missing":       {token: "tok3n", wantErr: true},
		"basic server, bearer": {user: "git", pass: "s3cret", header: "Authorization: Bearer s3cret", wantErr: true},
		"bearer server, basic": {token: "tok3n", clientUser: "git", clientPass: "tok3n", wantErr: true},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			srv := gitserver.New(t.TempDir())
			if tt.user != "" {
				srv.WithBasicAuth(tt.user, tt.pass)
			}
			if tt.token != "" {
				srv.WithBearerToken(tt.token)
			}
			_, head := newRepo(t, srv)
			start(t, srv, false)

			u := srv.RepoURL("org/app")
			if tt.clientUser != "" {
				u = withUser(t, u, tt.clientUser, tt.clientPass)
			}
			args := []string{}
			if tt.header != "" {
				args = append(args, "-c", "http.extraHeader="+tt.header)
			}
			out, err := gitserver.Git("", append(args, "ls-remote", u, "refs/heads/main")...)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("ls-remote succeeded, want an authentication error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(out, head) {
				t.Errorf("ls-remote = %q, want %s", out, head)
			}
		})
	}
}

func TestTLS(t *testing.T) {
	srv := gitserver.New(t.TempDir())
	_, head := newRepo(t, srv)
	base := start(t, srv, true)
	if !strings.HasPrefix(base, "https://") {
		t.Fatalf("base URL = %s, want https", base)
	}
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, srv.CertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := gitserver.Git("", "ls-remote", srv.RepoURL("org/app")); err == nil {
		t.Error("ls-remote without the CA succeeded, want a certificate error")
	}
	// The environment may point GIT_SSL_CAINFO at the system bundle; it wins
	// over http.sslCAInfo, so set it.
	t.Setenv("GIT_SSL_CAINFO", ca)
	out, err := gitserver.Git("", "ls-remote", srv.RepoURL("org/app"), "refs/heads/main")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out, head) {
		t.Errorf("ls-remote = %q, want %s", out, head)
	}
	if srv.CertPool() == nil {
		t.Error("CertPool() = nil")
	}
}

func TestPush(t *testing.T) {
	for _, allow := range []bool{false, true} {
		t.Run(map[bool]string{false: "refused", true: "allowed"}[allow], func(t *testing.T) {
			srv := gitserver.New(t.TempDir())
			repo, _ := newRepo(t, srv)
			if err := srv.InitBareRepo("app.git", repo); err != nil {
				t.Fatal(err)
			}
			srv.AllowPush = allow
			start(t, srv, false)

			dst := filepath.Join(t.TempDir(), "clone")
			if _, err := gitserver.Git("", "clone", "--quiet", srv.RepoURL("app.git"), dst); err != nil {
				t.Fatal(err)
			}
			clone := &gitserver.Repo{Dir: dst}
			head, err := clone.CommitFiles("pushed", map[string]string{"new.txt": "new"})
			if err != nil {
				t.Fatal(err)
			}
			_, err = gitserver.Git(dst, "push", "--quiet", "origin", "main")
			if !allow {
				if err == nil {
					t.Fatal("push succeeded, want it refused")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			out, err := gitserver.Git("", "ls-remote", srv.RepoURL("app.git"), "refs/heads/main")
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(out, head) {
				t.Errorf("ls-remote after push = %q, want %s", out, head)
			}
		})
	}
}

func TestUnknownRepo(t *testing.T) {
	srv := gitserver.New(t.TempDir())
	start(t, srv, false)
	if _, err := gitserver.Git("", "ls-remote", srv.RepoURL("missing")); err == nil {
		t.Error("ls-remote of a missing repository succeeded")
	}
}

func TestCloseTwice(t *testing.T) {
	srv := gitserver.New(t.TempDir())
	start(t, srv, false)
	srv.Close()
	srv.Close()
	if _, err := srv.Start(); err == nil {
		t.Error("second Start succeeded")
	}
}

// TestServeSymlinkedCheckout serves a user's checkout that lives outside the
// root through a symlink, as `ferry dev` does.
func TestServeSymlinkedCheckout(t *testing.T) {
	checkout, err := gitserver.InitRepo(filepath.Join(t.TempDir(), "my-app"), "main")
	if err != nil {
		t.Fatal(err)
	}
	head, err := checkout.CommitFiles("initial", map[string]string{"a.yaml": "a"})
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	if err := os.Symlink(checkout.Dir, filepath.Join(root, "my-app")); err != nil {
		t.Fatal(err)
	}
	srv := gitserver.New(root)
	start(t, srv, false)
	out, err := gitserver.Git("", "ls-remote", srv.RepoURL("my-app"), "refs/heads/main")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out, head) {
		t.Errorf("ls-remote = %q, want %s", out, head)
	}
}
