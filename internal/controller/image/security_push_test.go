package image_test

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	imagev1 "github.com/ferrycd/ferry/api/image/v1"
	"github.com/ferrycd/ferry/api/meta"
	"github.com/ferrycd/ferry/internal/gitserver"
	"github.com/ferrycd/ferry/internal/oci/ocitest"
	"github.com/ferrycd/ferry/internal/testenv"
)

// refs lists the references of the bare repository path: name → commit.
func (f *gitFixture) refs(t *testing.T, path string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, line := range strings.Split(f.git(t, path, "for-each-ref", "--format=%(refname) %(objectname)"), "\n") {
		if name, commit, ok := strings.Cut(strings.TrimSpace(line), " "); ok {
			out[name] = commit
		}
	}
	return out
}

// changedRefs returns the references that differ between before and after.
func changedRefs(before, after map[string]string) []string {
	var out []string
	for name, commit := range after {
		if before[name] != commit {
			out = append(out, name)
		}
	}
	for name := range before {
		if _, ok := after[name]; !ok {
			out = append(out, name+" (deleted)")
		}
	}
	return out
}

// TestAutomationPushesOnlyWhereTold runs automations against a repository
// with more branches and tags than they are told about: one pushing to
// push.branch, one also to push.refspec, one whose refspec would force
// main, one whose refspec is a wildcard. Each changes exactly the
// references its spec names, or, when refused, none, with a message
// naming the refspec.
func TestAutomationPushesOnlyWhereTold(t *testing.T) {
	ns := env.NewNamespace(t, "pushrefs")
	reg := ocitest.Start(t, ocitest.Options{})
	files, _ := fleet(t, ns, reg)
	g := newGit(t)
	url := g.repo(t, "org/fleet", files)
	g.git(t, "org/fleet", "branch", "release", "main")
	g.git(t, "org/fleet", "branch", "protected", "main")
	g.git(t, "org/fleet", "tag", "v1.0.0", "main")
	create(t, gitAuth(ns))
	applyYAML(t, `apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: fleet, namespace: NS}
spec: {interval: 1h, url: URL, ref: {branch: main}, secretRef: {name: git-auth}}`, "NS", ns, "URL", url)

	auto := func(name, push string) string {
		return strings.NewReplacer("NAME", name, "NS", ns, "PUSH", push).Replace(`apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageUpdateAutomation
metadata: {name: NAME, namespace: NS}
spec:
  interval: 1h
  sourceRef: {kind: GitRepository, name: fleet}
  git:
    checkout: {ref: {branch: main}}
    commit: {author: {email: bot@ferry.invalid}}
    push: PUSH
  update: {path: apps/web}`)
	}
	for _, tt := range []struct {
		name, push string
		want       []string // the references that change; none when refused
		refused    string
	}{
		{name: "branch", push: "{branch: auto-branch}", want: []string{"refs/heads/auto-branch"}},
		{name: "refspec", push: "{branch: auto-refspec, refspec: 'refs/heads/auto-refspec:refs/heads/staging'}",
			want: []string{"refs/heads/auto-refspec", "refs/heads/staging"}},
		{name: "force", push: "{branch: auto-force, refspec: '+refs/heads/auto-force:refs/heads/main'}", refused: "invalid spec.git.push.refspec"},
		{name: "wildcard", push: "{branch: auto-wild, refspec: 'refs/heads/*:refs/heads/*'}", refused: "invalid spec.git.push.refspec"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := g.refs(t, "org/fleet")
			applyYAML(t, auto(tt.name, tt.push))
			if tt.refused != "" {
				got := testenv.WaitFor(t, env.Client, testenv.Key(ns, tt.name), "refused", func(a *imagev1.ImageUpdateAutomation) bool {
					c := cond(a, meta.ReadyCondition)
					return c != nil && c.Status == metav1.ConditionFalse && strings.Contains(c.Message, tt.refused)
				})
				t.Logf("refused: %s", cond(got, meta.ReadyCondition).Message)
			} else {
				testenv.WaitFor(t, env.Client, testenv.Key(ns, tt.name), "pushed", func(a *imagev1.ImageUpdateAutomation) bool {
					return ready(a) && a.Status.LastPushCommit != ""
				})
			}
			changed := changedRefs(before, g.refs(t, "org/fleet"))
			if strings.Join(sorted(changed), " ") != strings.Join(sorted(tt.want), " ") {
				t.Errorf("the references that changed: %v, want %v", changed, tt.want)
			}
		})
	}
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// TestAutomationSSHKeyNeverShown pushes over SSH with a
// passphrase-protected identity: once to a server whose host key is known
// (the commit is pushed), once with known_hosts of another host (refused,
// nothing pushed). Neither the identity, any line of it, nor the
// passphrase is in the automations' status, their events or the logs.
func TestAutomationSSHKeyNeverShown(t *testing.T) {
	const passphrase = "ssh-pa55phrase-of-the-automation"
	ns := env.NewNamespace(t, "pushssh")
	reg := ocitest.Start(t, ocitest.Options{})
	files, _ := fleet(t, ns, reg)
	g := newGit(t)
	g.repo(t, "org/fleet", files)
	hostKey, _, err := gitserver.GenerateSSHKey("")
	if err != nil {
		t.Fatal(err)
	}
	signer, identity, err := gitserver.GenerateSSHKey(passphrase)
	if err != nil {
		t.Fatal(err)
	}
	otherHost, _, err := gitserver.GenerateSSHKey("")
	if err != nil {
		t.Fatal(err)
	}
	srv := gitserver.NewSSH(g.root, hostKey, signer.PublicKey())
	srv.AllowPush = true
	if _, err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	create(t,
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "ssh"}, StringData: map[string]string{
			"identity": string(identity), "password": passphrase, "known_hosts": string(srv.KnownHosts())}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "ssh-other-host"}, StringData: map[string]string{
			"identity": string(identity), "password": passphrase, "known_hosts": gitserver.KnownHostsLine(srv.Addr(), otherHost.PublicKey()) + "\n"}})
	logged := len(env.Logs.String())
	for _, name := range []string{"ssh", "ssh-other-host"} {
		applyYAML(t, strings.NewReplacer("NAME", name, "NS", ns, "URL", srv.RepoURL("org/fleet")).Replace(`apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: NAME, namespace: NS}
spec: {interval: 1h, url: URL, ref: {branch: main}, secretRef: {name: NAME}}
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageUpdateAutomation
metadata: {name: NAME, namespace: NS}
spec:
  interval: 1h
  sourceRef: {kind: GitRepository, name: NAME}
  git:
    commit: {author: {email: bot@ferry.invalid}}
    push: {branch: NAME}
  update: {path: apps/web}`))
	}
	pushed := testenv.WaitFor(t, env.Client, testenv.Key(ns, "ssh"), "pushed over ssh", func(a *imagev1.ImageUpdateAutomation) bool {
		return ready(a) && a.Status.LastPushCommit != ""
	})
	if got := g.head(t, "org/fleet", "ssh"); got != pushed.Status.LastPushCommit {
		t.Errorf("branch ssh at %q, lastPushCommit %s", got, pushed.Status.LastPushCommit)
	}
	refused := testenv.WaitFor(t, env.Client, testenv.Key(ns, "ssh-other-host"), "refused", func(a *imagev1.ImageUpdateAutomation) bool {
		c := cond(a, meta.ReadyCondition)
		return c != nil && c.Status == metav1.ConditionFalse && strings.Contains(c.Message, "host key")
	})
	t.Logf("refused: %s", cond(refused, meta.ReadyCondition).Message)
	if got := g.head(t, "org/fleet", "ssh-other-host"); got != "" {
		t.Errorf("a push reached a host whose key is not the known one: branch at %s", got)
	}

	secrets := []string{passphrase, string(identity)}
	for _, line := range strings.Split(string(identity), "\n") {
		if len(line) >= 16 && !strings.HasPrefix(line, "-----") {
			secrets = append(secrets, line)
		}
	}
	for _, a := range []*imagev1.ImageUpdateAutomation{pushed, refused} {
		for _, s := range secrets {
			testenv.AssertNoSecret(t, env.Client, a, s)
		}
	}
	logs := env.Logs.String()[logged:]
	for _, s := range secrets {
		if strings.Contains(logs, s) {
			t.Errorf("the controllers logged key material (%.12s...)", s)
		}
	}
}
