package gitrepository_test

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/gitserver"
	"github.com/ferrycd/ferry/internal/testenv"
)

// sshPassphrase protects the test identity; it must never be reported.
const sshPassphrase = "ssh-passphrase-that-must-not-leak"

// TestSSH fetches over a real ssh server with an encrypted identity and
// known_hosts from a Secret, and checks that a wrong key and a wrong host
// key end Ready=False with messages that say so and leak nothing.
func TestSSH(t *testing.T) {
	git, _, head := newGitServer(t)
	hostKey, _, err := gitserver.GenerateSSHKey("")
	if err != nil {
		t.Fatal(err)
	}
	client1, identity, err := gitserver.GenerateSSHKey(sshPassphrase)
	if err != nil {
		t.Fatal(err)
	}
	_, strangerKey, err := gitserver.GenerateSSHKey("")
	if err != nil {
		t.Fatal(err)
	}
	otherHost, _, err := gitserver.GenerateSSHKey("")
	if err != nil {
		t.Fatal(err)
	}
	srv := gitserver.NewSSH(git.Root(), hostKey, client1.PublicKey())
	if _, err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	wrongHosts := gitserver.KnownHostsLine(srv.Addr(), otherHost.PublicKey())

	ns := newNamespace(t)
	create(t, secret(ns, "good", map[string]string{"identity": string(identity), "password": sshPassphrase, "known_hosts": string(srv.KnownHosts())}))
	create(t, secret(ns, "stranger", map[string]string{"identity": string(strangerKey), "known_hosts": string(srv.KnownHosts())}))
	create(t, secret(ns, "wrong-host", map[string]string{"identity": string(identity), "password": sshPassphrase, "known_hosts": wrongHosts}))
	create(t, secret(ns, "no-known-hosts", map[string]string{"identity": string(identity), "password": sshPassphrase}))

	good := newGitRepository(ns, "good", srv.RepoURL("org/app"), withSecret("good"))
	create(t, good)
	gr := waitFor(t, client.ObjectKeyFromObject(good), "Ready over ssh", isReadyWith("main@sha1:"+head))
	testenv.AssertNoSecret(t, env.Client, gr, sshPassphrase)

	tests := map[string]struct {
		reason   string
		contains []string
	}{
		"stranger":       {reason: meta.AuthenticationFailedReason, contains: []string{"unable to authenticate", "rejected the credentials of secret"}},
		"wrong-host":     {reason: meta.GitOperationFailedReason, contains: []string{"host key verification failed", "does not match 'known_hosts'"}},
		"no-known-hosts": {reason: meta.AuthenticationFailedReason, contains: []string{"requires 'known_hosts'"}},
	}
	for name, tt := range tests {
		gr := newGitRepository(ns, name, srv.RepoURL("org/app"), withSecret(name))
		create(t, gr)
		gr = waitFor(t, client.ObjectKeyFromObject(gr), "failed", func(gr *sourcev1.GitRepository) bool {
			c := cond(gr, meta.ReadyCondition)
			return c != nil && c.Status == metav1.ConditionFalse && c.Reason == tt.reason
		})
		msg := cond(gr, meta.ReadyCondition).Message
		for _, s := range tt.contains {
			if !strings.Contains(msg, s) {
				t.Errorf("%s: Ready message %q lacks %q", name, msg, s)
			}
		}
		if strings.Contains(msg, "git@") {
			t.Errorf("%s: Ready message %q has the URL's user", name, msg)
		}
		waitForEvent(t, ns, name, corev1.EventTypeWarning, tt.reason)
		testenv.AssertNoSecret(t, env.Client, gr, sshPassphrase)
		for line := range strings.Lines(string(identity) + string(strangerKey)) {
			if line = strings.TrimSpace(line); len(line) > 16 && !strings.HasPrefix(line, "-----") {
				testenv.AssertNoSecret(t, env.Client, gr, line)
			}
		}
	}
}
