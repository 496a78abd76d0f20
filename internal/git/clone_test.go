package git_test

import (
	"context"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ferrycd/ferry/internal/git"
	"github.com/ferrycd/ferry/internal/gitserver"
)

const (
	testUser     = "git-user"
	testPassword = "pa55-w0rd-that-must-not-leak"
	testToken    = "t0ken-that-must-not-leak"
)

type fixture struct {
	srv  *gitserver.Server
	repo *gitserver.Repo
	url  string
	head string
}

// newFixture serves a working repo "org/app" with a commit on main and on
// branch "dev", a lightweight tag "v1" and an annotated tag "v2".
func newFixture(t *testing.T, configure func(*gitserver.Server), useTLS bool) *fixture {
	t.Helper()
	srv := gitserver.New(t.TempDir())
	if configure != nil {
		configure(srv)
	}
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
	for _, args := range [][]string{
		{"tag", "v1"},
		{"tag", "-a", "-m", "release v2", "v2"},
		{"checkout", "--quiet", "-b", "dev"},
	} {
		if _, err := gitserver.Git(repo.Dir, args...); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := repo.CommitFiles("dev work", map[string]string{"dev.txt": "dev"}); err != nil {
		t.Fatal(err)
	}
	if err := repo.Checkout("main", false); err != nil {
		t.Fatal(err)
	}
	if useTLS {
		_, err = srv.StartTLS()
	} else {
		_, err = srv.Start()
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return &fixture{srv: srv, repo: repo, url: srv.RepoURL("org/app"), head: head}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return c
}

func TestCloneBranch(t *testing.T) {
	f := newFixture(t, nil, false)
	dir := filepath.Join(t.TempDir(), "checkout")
	c, err := git.Clone(ctx(t), dir, git.CloneOptions{URL: f.url, Branch: "main"})
	if err != nil {
		t.Fatal(err)
	}
	if want := "main@sha1:" + f.head; c.Revision() != want {
		t.Errorf("Revision() = %s, want %s", c.Revision(), want)
	}
	if c.Reference != "refs/heads/main" || c.Hash != f.head || !strings.Contains(c.Message, "initial") {
		t.Errorf("commit = %+v", c)
	}
	b, err := os.ReadFile(filepath.Join(dir, "deploy", "configmap.yaml"))
	if err != nil || string(b) != "kind: ConfigMap\n" {
		t.Errorf("deploy/configmap.yaml = %q, %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "dev.txt")); !os.IsNotExist(err) {
		t.Errorf("dev.txt of branch dev is in the main checkout: %v", err)
	}

	rev, err := git.RemoteRevision(ctx(t), git.CloneOptions{URL: f.url, Branch: "main"})
	if err != nil {
		t.Fatal(err)
	}
	if rev != c.Revision() {
		t.Errorf("RemoteRevision = %s, want %s", rev, c.Revision())
	}
}

func TestCloneOtherRefs(t *testing.T) {
	f := newFixture(t, nil, false)
	devHead, err := gitserver.Git(f.repo.Dir, "rev-parse", "dev")
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct {
		opts    git.CloneOptions
		wantRev string
		file    string
	}{
		"branch dev":      {opts: git.CloneOptions{Branch: "dev"}, wantRev: "dev@sha1:" + devHead, file: "dev.txt"},
		"lightweight tag": {opts: git.CloneOptions{Tag: "v1"}, wantRev: "v1@sha1:" + f.head, file: "README.md"},
		"annotated tag":   {opts: git.CloneOptions{Tag: "v2"}, wantRev: "v2@sha1:" + f.head, file: "README.md"},
		"tag wins":        {opts: git.CloneOptions{Branch: "dev", Tag: "v1"}, wantRev: "v1@sha1:" + f.head, file: "README.md"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			opts := tt.opts
			opts.URL = f.url
			dir := t.TempDir()
			c, err := git.Clone(ctx(t), dir, opts)
			if err != nil {
				t.Fatal(err)
			}
			if c.Revision() != tt.wantRev {
				t.Errorf("Clone revision = %s, want %s", c.Revision(), tt.wantRev)
			}
			if _, err := os.Stat(filepath.Join(dir, tt.file)); err != nil {
				t.Error(err)
			}
			rev, err := git.RemoteRevision(ctx(t), opts)
			if err != nil {
				t.Fatal(err)
			}
			if rev != tt.wantRev {
				t.Errorf("RemoteRevision = %s, want %s", rev, tt.wantRev)
			}
		})
	}
}

func TestRemoteRevisionFollowsNewCommits(t *testing.T) {
	f := newFixture(t, nil, false)
	opts := git.CloneOptions{URL: f.url, Branch: "main"}
	before, err := git.RemoteRevision(ctx(t), opts)
	if err != nil {
		t.Fatal(err)
	}
	head, err := f.repo.CommitFiles("second", map[string]string{"b.txt": "b"})
	if err != nil {
		t.Fatal(err)
	}
	after, err := git.RemoteRevision(ctx(t), opts)
	if err != nil {
		t.Fatal(err)
	}
	if before == after || after != "main@sha1:"+head {
		t.Errorf("RemoteRevision before = %s, after = %s, want main@sha1:%s", before, after, head)
	}
}

func TestAuth(t *testing.T) {
	basic := func(s *gitserver.Server) { s.WithBasicAuth(testUser, testPassword) }
	bearer := func(s *gitserver.Server) { s.WithBearerToken(testToken) }
	tests := map[string]struct {
		server  func(*gitserver.Server)
		auth    *git.Auth
		userURL bool // put the credentials into the URL instead
		wantErr error
	}{
		"basic":                 {server: basic, auth: &git.Auth{Username: testUser, Password: testPassword}},
		"basic in URL":          {server: basic, userURL: true},
		"basic wrong password":  {server: basic, auth: &git.Auth{Username: testUser, Password: testPassword + "x"}, wantErr: git.ErrAuthenticationFailed},
		"basic missing":         {server: basic, wantErr: git.ErrAuthenticationFailed},
		"bearer":                {server: bearer, auth: &git.Auth{BearerToken: testToken}},
		"bearer wrong":          {server: bearer, auth: &git.Auth{BearerToken: testToken + "x"}, wantErr: git.ErrAuthenticationFailed},
		"wrong password in URL": {server: basic, userURL: true, auth: &git.Auth{Username: testUser, Password: "wrong-" + testPassword}, wantErr: git.ErrAuthenticationFailed},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, tt.server, false)
			u := f.url
			if tt.userURL {
				pu, _ := url.Parse(u)
				pu.User = url.UserPassword(testUser, testPassword)
				u = pu.String()
			}
			opts := git.CloneOptions{URL: u, Branch: "main", Auth: tt.auth}
			_, cloneErr := git.Clone(ctx(t), t.TempDir(), opts)
			_, listErr := git.RemoteRevision(ctx(t), opts)
			for op, err := range map[string]error{"Clone": cloneErr, "RemoteRevision": listErr} {
				if tt.wantErr == nil {
					if err != nil {
						t.Errorf("%s: %v", op, err)
					}
					continue
				}
				t.Logf("%s: %v", op, err)
				if !errors.Is(err, tt.wantErr) {
					t.Errorf("%s error = %v, want %v", op, err, tt.wantErr)
				}
				assertNoSecrets(t, err)
			}
		})
	}
}

func TestTLS(t *testing.T) {
	f := newFixture(t, func(s *gitserver.Server) { s.WithBasicAuth(testUser, testPassword) }, true)
	auth := &git.Auth{Username: testUser, Password: testPassword}
	if _, err := git.Clone(ctx(t), t.TempDir(), git.CloneOptions{URL: f.url, Branch: "main", Auth: auth}); err == nil {
		t.Error("clone without the CA succeeded")
	} else {
		assertNoSecrets(t, err)
	}
	auth.CABundle = f.srv.CertPEM()
	c, err := git.Clone(ctx(t), t.TempDir(), git.CloneOptions{URL: f.url, Branch: "main", Auth: auth})
	if err != nil {
		t.Fatal(err)
	}
	if c.Hash != f.head {
		t.Errorf("hash = %s, want %s", c.Hash, f.head)
	}
	if _, err := git.RemoteRevision(ctx(t), git.CloneOptions{URL: f.url, Branch: "main", Auth: auth}); err != nil {
		t.Error(err)
	}
	if _, err := git.Clone(ctx(t), t.TempDir(), git.CloneOptions{URL: f.url, Branch: "main", InsecureSkipTLS: true,
		Auth: &git.Auth{Username: testUser, Password: testPassword}}); err != nil {
		t.Errorf("InsecureSkipTLS: %v", err)
	}
}

func TestCloneFailures(t *testing.T) {
	f := newFixture(t, func(s *gitserver.Server) { s.WithBasicAuth(testUser, testPassword) }, false)
	auth := &git.Auth{Username: testUser, Password: testPassword}
	withCreds := func(raw string) string {
		u, _ := url.Parse(raw)
		u.User = url.UserPassword(testUser, testPassword)
		return u.String()
	}
	tests := map[string]struct {
		opts     git.CloneOptions
		wantErr  error
		contains string
	}{
		"unknown branch": {
			opts:     git.CloneOptions{URL: f.url, Branch: "nope", Auth: auth},
			wantErr:  git.ErrReferenceNotFound,
			contains: `refs/heads/nope`,
		},
		"unknown tag": {
			opts:     git.CloneOptions{URL: f.url, Tag: "v9", Auth: auth},
			wantErr:  git.ErrReferenceNotFound,
			contains: `refs/tags/v9`,
		},
		"unknown repository": {
			opts:     git.CloneOptions{URL: f.srv.RepoURL("org/missing"), Branch: "main", Auth: auth},
			wantErr:  git.ErrRepositoryNotFound,
			contains: "org/missing",
		},
		"unreachable": {
			opts:     git.CloneOptions{URL: withCreds("http://127.0.0.1:1/org/app"), Branch: "main", Auth: auth},
			contains: "127.0.0.1:1",
		},
		"ssh without secret": {
			opts:     git.CloneOptions{URL: "ssh://git@example.com/org/app", Branch: "main"},
			wantErr:  git.ErrInvalidAuth,
			contains: "'identity' and 'known_hosts'",
		},
		"file scheme": {
			opts:     git.CloneOptions{URL: "file:///tmp/repo", Branch: "main"},
			wantErr:  git.ErrInvalidURL,
			contains: "scheme must be http, https or ssh",
		},
		"no host": {
			opts:     git.CloneOptions{URL: "https:///org/app", Branch: "main"},
			wantErr:  git.ErrInvalidURL,
			contains: "missing host",
		},
		"credentials in invalid URL": {
			opts:     git.CloneOptions{URL: withCreds("ftp://example.com/org/app"), Branch: "main"},
			wantErr:  git.ErrInvalidURL,
			contains: "ftp://example.com/org/app",
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, cloneErr := git.Clone(ctx(t), t.TempDir(), tt.opts)
			_, listErr := git.RemoteRevision(ctx(t), tt.opts)
			for op, err := range map[string]error{"Clone": cloneErr, "RemoteRevision": listErr} {
				if err == nil {
					t.Fatalf("%s succeeded", op)
				}
				if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
					t.Errorf("%s error = %v, want %v", op, err, tt.wantErr)
				}
				t.Logf("%s: %v", op, err)
				if !strings.Contains(err.Error(), tt.contains) {
					t.Errorf("%s error = %q, want it to contain %q", op, err, tt.contains)
				}
				assertNoSecrets(t, err)
			}
		})
	}
}

func TestCloneCanceled(t *testing.T) {
	f := newFixture(t, nil, false)
	c, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := git.Clone(c, t.TempDir(), git.CloneOptions{URL: f.url, Branch: "main"}); err == nil {
		t.Error("clone with a canceled context succeeded")
	}
}

func assertNoSecrets(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	for _, s := range []string{testPassword, testToken, url.QueryEscape(testPassword), testUser + ":"} {
		if strings.Contains(err.Error(), s) {
			t.Errorf("error leaks a credential (%q): %s", s, err)
		}
	}
}
