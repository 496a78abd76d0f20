package git_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/ferrycd/ferry/internal/git"
	"github.com/ferrycd/ferry/internal/gitserver"
)

const sshPassphrase = "ssh-passphrase-that-must-not-leak"

// sshFixture serves the fixture's repositories over ssh, accepting
// clientKey only.
type sshFixture struct {
	*fixture
	ssh        *gitserver.SSHServer
	url        string
	identity   []byte // PEM of the accepted key, no passphrase
	encrypted  []byte // PEM of the accepted key under sshPassphrase
	otherKey   []byte // PEM of a key the server does not accept
	knownHosts []byte
}

func newSSHFixture(t *testing.T) *sshFixture {
	t.Helper()
	f := newFixture(t, nil, false)
	hostKey, _, err := gitserver.GenerateSSHKey("")
	if err != nil {
		t.Fatal(err)
	}
	client, identity, err := gitserver.GenerateSSHKey("")
	if err != nil {
		t.Fatal(err)
	}
	encSigner, encrypted, err := gitserver.GenerateSSHKey(sshPassphrase)
	if err != nil {
		t.Fatal(err)
	}
	_, other, err := gitserver.GenerateSSHKey("")
	if err != nil {
		t.Fatal(err)
	}
	srv := gitserver.NewSSH(f.srv.Root(), hostKey, client.PublicKey(), encSigner.PublicKey())
	if _, err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return &sshFixture{fixture: f, ssh: srv, url: srv.RepoURL("org/app"), identity: identity, encrypted: encrypted,
		otherKey: other, knownHosts: srv.KnownHosts()}
}

func TestCloneSSH(t *testing.T) {
	f := newSSHFixture(t)
	for name, auth := range map[string]*git.Auth{
		"identity":                {Identity: f.identity, KnownHosts: f.knownHosts},
		"encrypted identity":      {Identity: f.encrypted, Password: sshPassphrase, KnownHosts: f.knownHosts},
		"comments in known_hosts": {Identity: f.identity, KnownHosts: append([]byte("# comment\n"), f.knownHosts...)},
	} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "checkout")
			c, err := git.Clone(ctx(t), dir, git.CloneOptions{URL: f.url, Branch: "main", Auth: auth})
			if err != nil {
				t.Fatal(err)
			}
			if want := "main@sha1:" + f.head; c.Revision() != want {
				t.Errorf("Revision() = %s, want %s", c.Revision(), want)
			}
			if _, err := os.Stat(filepath.Join(dir, "deploy", "configmap.yaml")); err != nil {
				t.Error(err)
			}
			rev, err := git.RemoteRevision(ctx(t), git.CloneOptions{URL: f.url, Tag: "v2", Auth: auth})
			if err != nil {
				t.Fatal(err)
			}
			if want := "v2@sha1:" + f.head; rev != want {
				t.Errorf("RemoteRevision = %s, want %s", rev, want)
			}
		})
	}
}

func TestCloneSSHFailures(t *testing.T) {
	f := newSSHFixture(t)
	otherHost, _, err := gitserver.GenerateSSHKey("")
	if err != nil {
		t.Fatal(err)
	}
	wrongHostKey := []byte(gitserver.KnownHostsLine(f.ssh.Addr(), otherHost.PublicKey()) + "\n")
	unknownHost := []byte(gitserver.KnownHostsLine("example.com:22", otherHost.PublicKey()) + "\n")
	tests := map[string]struct {
		auth     *git.Auth
		wantErr  error
		contains []string
	}{
		"wrong key": {auth: &git.Auth{Identity: f.otherKey, KnownHosts: f.knownHosts},
			wantErr: git.ErrAuthenticationFailed, contains: []string{"unable to authenticate"}},
		"wrong host key": {auth: &git.Auth{Identity: f.identity, KnownHosts: wrongHostKey},
			wantErr: git.ErrHostKeyVerification, contains: []string{"host key verification failed", "does not match 'known_hosts'", f.ssh.Addr()}},
		"host not in known_hosts": {auth: &git.Auth{Identity: f.identity, KnownHosts: unknownHost},
			wantErr: git.ErrHostKeyVerification, contains: []string{"host key verification failed", "is not in 'known_hosts'"}},
		"no known_hosts": {auth: &git.Auth{Identity: f.identity},
			wantErr: git.ErrInvalidAuth, contains: []string{"requires 'known_hosts'", "always verified"}},
		"no identity": {auth: &git.Auth{KnownHosts: f.knownHosts},
			wantErr: git.ErrInvalidAuth, contains: []string{"requires 'identity'"}},
		"no secret": {wantErr: git.ErrInvalidAuth, contains: []string{"'identity' and 'known_hosts'"}},
		"wrong passphrase": {auth: &git.Auth{Identity: f.encrypted, Password: "wrong-" + sshPassphrase, KnownHosts: f.knownHosts},
			wantErr: git.ErrInvalidAuth, contains: []string{"invalid 'identity'"}},
		"missing passphrase": {auth: &git.Auth{Identity: f.encrypted, KnownHosts: f.knownHosts},
			wantErr: git.ErrInvalidAuth, contains: []string{"invalid 'identity'", "set 'password'"}},
		"garbage known_hosts": {auth: &git.Auth{Identity: f.identity, KnownHosts: []byte("127.0.0.1 ssh-ed25519 !!!\n")},
			wantErr: git.ErrInvalidAuth, contains: []string{"unable to parse 'known_hosts': line:1"}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			opts := git.CloneOptions{URL: f.url, Branch: "main", Auth: tt.auth}
			_, cloneErr := git.Clone(ctx(t), t.TempDir(), opts)
			_, lsErr := git.RemoteRevision(ctx(t), opts)
			for what, err := range map[string]error{"Clone": cloneErr, "RemoteRevision": lsErr} {
				if err == nil {
					t.Fatalf("%s succeeded", what)
				}
				t.Logf("%s: %s", what, err)
				if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
					t.Errorf("%s error %q is not %v", what, err, tt.wantErr)
				}
				for _, s := range tt.contains {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("%s error %q lacks %q", what, err, s)
					}
				}
				assertNoKeyMaterial(t, err.Error(), tt.auth)
			}
		})
	}
}

// assertNoKeyMaterial fails when msg contains the passphrase or any line
// of a private key.
func assertNoKeyMaterial(t *testing.T, msg string, a *git.Auth) {
	t.Helper()
	if a == nil {
		return
	}
	if strings.Contains(msg, sshPassphrase) {
		t.Errorf("message leaks the passphrase: %s", msg)
	}
	for line := range strings.Lines(string(a.Identity)) {
		line = strings.TrimSpace(line)
		if len(line) > 16 && !strings.HasPrefix(line, "-----") && strings.Contains(msg, line) {
			t.Errorf("message leaks the private key: %s", msg)
		}
	}
}

func TestAuthRedactsKeys(t *testing.T) {
	_, identity, err := gitserver.GenerateSSHKey(sshPassphrase)
	if err != nil {
		t.Fatal(err)
	}
	a := &git.Auth{Identity: identity, Password: sshPassphrase, ClientKey: []byte("-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIKeyMaterialThatMustNotLeak\n-----END EC PRIVATE KEY-----\n")}
	msg := "failed: " + string(identity) + " " + sshPassphrase + " MHcCAQEEIKeyMaterialThatMustNotLeak"
	got := a.Redact(msg)
	assertNoKeyMaterial(t, got, a)
	if strings.Contains(got, "MHcCAQEEIKeyMaterialThatMustNotLeak") {
		t.Errorf("Redact leaves the TLS key: %s", got)
	}
}

// TestCloneSSHHostKeyAlgorithms serves ECDSA and ed25519 host keys, as
// real servers offer several, with known_hosts vouching only for the
// ed25519 one (hashed or plain): the client must ask for the ed25519 key
// rather than fail on the ECDSA key it would prefer.
func TestCloneSSHHostKeyAlgorithms(t *testing.T) {
	f := newFixture(t, nil, false)
	edHost, _, err := gitserver.GenerateSSHKey("")
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecHost, err := ssh.NewSignerFromKey(ecKey)
	if err != nil {
		t.Fatal(err)
	}
	client, identity, err := gitserver.GenerateSSHKey("")
	if err != nil {
		t.Fatal(err)
	}
	srv := gitserver.NewSSH(f.srv.Root(), ecHost, client.PublicKey())
	srv.AddHostKey(edHost)
	if _, err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	hashed := knownhosts.HashHostname(knownhosts.Normalize(srv.Addr())) + " " + string(ssh.MarshalAuthorizedKey(edHost.PublicKey()))
	for name, knownHosts := range map[string]string{
		"plain":  gitserver.KnownHostsLine(srv.Addr(), edHost.PublicKey()) + "\n",
		"hashed": hashed,
	} {
		t.Run(name, func(t *testing.T) {
			rev, err := git.RemoteRevision(ctx(t), git.CloneOptions{URL: srv.RepoURL("org/app"), Branch: "main",
				Auth: &git.Auth{Identity: identity, KnownHosts: []byte(knownHosts)}})
			if err != nil {
				t.Fatal(err)
			}
			if want := "main@sha1:" + f.head; rev != want {
				t.Errorf("RemoteRevision = %s, want %s", rev, want)
			}
		})
	}
}
