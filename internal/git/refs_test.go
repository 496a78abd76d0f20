package git_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferrycd/ferry/internal/git"
	"github.com/ferrycd/ferry/internal/gitserver"
)

// newRefsFixture extends the fixture with semver tags, a pull request ref
// and a second commit on main: main has "initial" (f.head, tagged v1.0.0)
// then "second" (tagged v1.2.0 and v2.0.0-rc.1); refs/pull/1/head points
// to the tip of dev, which is on no other ref but dev.
func newRefsFixture(t *testing.T) (f *fixture, second, dev string) {
	t.Helper()
	f = newFixture(t, nil, false)
	second, err := f.repo.CommitFiles("second", map[string]string{"second.txt": "2"})
	if err != nil {
		t.Fatal(err)
	}
	if dev, err = gitserver.Git(f.repo.Dir, "rev-parse", "dev"); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"tag", "v1.0.0", f.head},
		{"tag", "-a", "-m", "v1.2.0", "v1.2.0", second},
		{"tag", "v2.0.0-rc.1", second},
		{"tag", "not-a-version", second},
		{"update-ref", "refs/pull/1/head", dev},
	} {
		if _, err := gitserver.Git(f.repo.Dir, args...); err != nil {
			t.Fatal(err)
		}
	}
	return f, second, dev
}

func TestCloneReferences(t *testing.T) {
	f, second, dev := newRefsFixture(t)
	tests := map[string]struct {
		opts    git.CloneOptions
		wantRev string
		file    string // must exist in the checkout
		absent  string // must not exist in the checkout
	}{
		"semver highest match":    {opts: git.CloneOptions{SemVer: ">=1.0.0 <2.0.0"}, wantRev: "v1.2.0@sha1:" + second, file: "second.txt"},
		"semver tilde":            {opts: git.CloneOptions{SemVer: "~1.0"}, wantRev: "v1.0.0@sha1:" + f.head, absent: "second.txt"},
		"semver prerelease range": {opts: git.CloneOptions{SemVer: ">=2.0.0-0 <2.0.0"}, wantRev: "v2.0.0-rc.1@sha1:" + second},
		"name pull request":       {opts: git.CloneOptions{RefName: "refs/pull/1/head"}, wantRev: "refs/pull/1/head@sha1:" + dev, file: "dev.txt"},
		"name branch":             {opts: git.CloneOptions{RefName: "refs/heads/main"}, wantRev: "refs/heads/main@sha1:" + second},
		"name annotated tag":      {opts: git.CloneOptions{RefName: "refs/tags/v1.2.0"}, wantRev: "refs/tags/v1.2.0@sha1:" + second},
		"commit alone":            {opts: git.CloneOptions{Commit: f.head}, wantRev: "sha1:" + f.head, absent: "second.txt"},
		"commit on dev only":      {opts: git.CloneOptions{Commit: dev}, wantRev: "sha1:" + dev, file: "dev.txt"},
		"commit with branch":      {opts: git.CloneOptions{Commit: f.head, Branch: "main"}, wantRev: "main@sha1:" + f.head, absent: "second.txt"},
		// Precedence as in Flux: commit > name > semver > tag > branch.
		"commit over name":  {opts: git.CloneOptions{Commit: f.head, RefName: "refs/pull/1/head", SemVer: "*", Tag: "v1"}, wantRev: "sha1:" + f.head},
		"name over semver":  {opts: git.CloneOptions{RefName: "refs/pull/1/head", SemVer: "*", Tag: "v1", Branch: "main"}, wantRev: "refs/pull/1/head@sha1:" + dev},
		"semver over tag":   {opts: git.CloneOptions{SemVer: "1.0.x", Tag: "v1.2.0", Branch: "dev"}, wantRev: "v1.0.0@sha1:" + f.head},
		"tag over branch":   {opts: git.CloneOptions{Tag: "v1.2.0", Branch: "dev"}, wantRev: "v1.2.0@sha1:" + second},
		"branch by default": {opts: git.CloneOptions{Branch: "main"}, wantRev: "main@sha1:" + second},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			opts := tt.opts
			opts.URL = f.url
			dir := filepath.Join(t.TempDir(), "checkout")
			c, err := git.Clone(ctx(t), dir, opts)
			if err != nil {
				t.Fatal(err)
			}
			if c.Revision() != tt.wantRev {
				t.Errorf("Revision() = %s, want %s", c.Revision(), tt.wantRev)
			}
			rev, err := git.RemoteRevision(ctx(t), opts)
			if err != nil {
				t.Fatal(err)
			}
			if rev != tt.wantRev {
				t.Errorf("RemoteRevision = %s, want %s", rev, tt.wantRev)
			}
			if tt.file != "" {
				if _, err := os.Stat(filepath.Join(dir, tt.file)); err != nil {
					t.Errorf("%s missing from the checkout: %v", tt.file, err)
				}
			}
			if tt.absent != "" {
				if _, err := os.Stat(filepath.Join(dir, tt.absent)); !os.IsNotExist(err) {
					t.Errorf("%s is in the checkout of %s: %v", tt.absent, tt.wantRev, err)
				}
			}
		})
	}
}

func TestCloneReferenceErrors(t *testing.T) {
	f, _, dev := newRefsFixture(t)
	tests := map[string]struct {
		opts      git.CloneOptions
		wantErr   error
		contains  string
		remoteToo bool // RemoteRevision reports it too (it does not fetch)
	}{
		"no tag matches range": {opts: git.CloneOptions{SemVer: ">=3.0.0"}, wantErr: git.ErrReferenceNotFound,
			contains: "no match found for semver: >=3.0.0", remoteToo: true},
		"invalid range": {opts: git.CloneOptions{SemVer: "not a range"}, wantErr: git.ErrInvalidReference,
			contains: "'not a range'", remoteToo: true},
		"unknown ref name": {opts: git.CloneOptions{RefName: "refs/pull/9/head"}, wantErr: git.ErrReferenceNotFound,
			contains: "refs/pull/9/head", remoteToo: true},
		"commit not on branch": {opts: git.CloneOptions{Commit: dev, Branch: "main"}, wantErr: git.ErrReferenceNotFound,
			contains: "unable to resolve commit object for '" + dev + "' on 'main'"},
		"unknown commit": {opts: git.CloneOptions{Commit: strings.Repeat("ab", 20)}, wantErr: git.ErrReferenceNotFound,
			contains: "unable to resolve commit object for '" + strings.Repeat("ab", 20) + "'"},
		"short commit": {opts: git.CloneOptions{Commit: "abc123"}, wantErr: git.ErrInvalidReference,
			contains: "invalid commit 'abc123'", remoteToo: true},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			opts := tt.opts
			opts.URL = f.url
			_, err := git.Clone(ctx(t), t.TempDir(), opts)
			check := func(what string, err error) {
				if err == nil {
					t.Fatalf("%s succeeded", what)
				}
				if !errors.Is(err, tt.wantErr) {
					t.Errorf("%s error %q is not %v", what, err, tt.wantErr)
				}
				if !strings.Contains(err.Error(), tt.contains) {
					t.Errorf("%s error %q does not contain %q", what, err, tt.contains)
				}
			}
			check("Clone", err)
			if tt.remoteToo {
				_, err := git.RemoteRevision(ctx(t), opts)
				check("RemoteRevision", err)
			}
		})
	}
}
