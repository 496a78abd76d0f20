package gitserver_test

import (
	"bytes"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/ferrycd/ferry/internal/gitserver"
)

// TestSSHServer runs git-upload-pack over a real ssh connection: the ref
// advertisement of a served repository comes back, paths cannot leave the
// root, other commands and unknown keys are refused, and the known_hosts
// line verifies the host key.
func TestSSHServer(t *testing.T) {
	root := t.TempDir()
	srv := gitserver.New(root)
	repo, err := srv.InitRepo("org/app", "main")
	if err != nil {
		t.Fatal(err)
	}
	head, err := repo.CommitFiles("initial", map[string]string{"a.txt": "a"})
	if err != nil {
		t.Fatal(err)
	}
	hostKey, _, err := gitserver.GenerateSSHKey("")
	if err != nil {
		t.Fatal(err)
	}
	client, _, err := gitserver.GenerateSSHKey("")
	if err != nil {
		t.Fatal(err)
	}
	stranger, _, err := gitserver.GenerateSSHKey("")
	if err != nil {
		t.Fatal(err)
	}
	s := gitserver.NewSSH(root, hostKey, client.PublicKey())
	addr, err := s.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	if got, want := s.RepoURL("org/app"), "ssh://git@"+addr+"/org/app"; got != want {
		t.Errorf("RepoURL = %s, want %s", got, want)
	}

	_, hosts, _, _, rest, err := ssh.ParseKnownHosts(s.KnownHosts())
	if err != nil || len(bytes.TrimSpace(rest)) != 0 || len(hosts) != 1 || hosts[0] != knownhosts.Normalize(addr) {
		t.Fatalf("KnownHosts() = %q: hosts %v, err %v", s.KnownHosts(), hosts, err)
	}
	hostKeyCallback := ssh.FixedHostKey(hostKey.PublicKey())

	run := func(signer ssh.Signer, command string) (string, error) {
		conn, err := ssh.Dial("tcp", addr, &ssh.ClientConfig{
			User: "git", Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)}, HostKeyCallback: hostKeyCallback,
		})
		if err != nil {
			return "", err
		}
		defer conn.Close()
		sess, err := conn.NewSession()
		if err != nil {
			return "", err
		}
		defer sess.Close()
		var stdout, stderr bytes.Buffer
		sess.Stdout, sess.Stderr = &stdout, &stderr
		stdin, err := sess.StdinPipe()
		if err != nil {
			return "", err
		}
		if err := sess.Start(command); err != nil {
			return "", err
		}
		// End the negotiation at once: a flush packet.
		_, _ = stdin.Write([]byte("0000"))
		_ = stdin.Close()
		err = sess.Wait()
		return stdout.String() + stderr.String(), err
	}

	out, err := run(client, "git-upload-pack '/org/app'")
	if err != nil {
		t.Fatalf("upload-pack: %v: %s", err, out)
	}
	if !strings.Contains(out, head+" refs/heads/main") {
		t.Errorf("ref advertisement lacks main at %s: %q", head, out)
	}
	if s.UploadPacks() != 1 {
		t.Errorf("UploadPacks() = %d, want 1", s.UploadPacks())
	}
	for command, want := range map[string]string{
		"git-upload-pack '/../../etc'":   "not found",
		"git-receive-pack '/org/app'":    "only git-upload-pack",
		"git-upload-pack '/org/missing'": "not found",
	} {
		out, err := run(client, command)
		if err == nil || !strings.Contains(out, want) {
			t.Errorf("%s: err %v, output %q; want a failure saying %q", command, err, out, want)
		}
	}
	if _, err := run(stranger, "git-upload-pack '/org/app'"); err == nil || !strings.Contains(err.Error(), "unable to authenticate") {
		t.Errorf("an unknown key was accepted: %v", err)
	}
}
