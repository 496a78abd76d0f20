package cli

import (
	"context"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
)

// TestCreateSourceGitExport checks the YAML of `create source git --export`
// against golden files; nothing touches the cluster.
func TestCreateSourceGitExport(t *testing.T) {
	url := "--url=https://github.com/stefanprodan/podinfo"
	tests := map[string][]string{
		"create_source_git_branch.golden":  {url, "--branch=main", "--interval=5m"},
		"create_source_git_default.golden": {url},
		"create_source_git_semver.golden":  {url, "--tag-semver=>=6.0.0 <7.0.0", "--secret-ref=podinfo-auth", "--ignore-paths=*.md,/docs", "--ignore-paths=!/docs/deploy"},
		"create_source_git_commit.golden":  {url, "--branch=main", "--commit=5a3e6f1e8a6b5c1f0e5c1d3b8f1b2a6c7d8e9f00"},
		"create_source_git_tag.golden":     {"--url=ssh://git@github.com/stefanprodan/podinfo", "--tag=6.5.0", "--secret-ref=podinfo-ssh"},
	}
	for name, flags := range tests {
		t.Run(name, func(t *testing.T) {
			stdout, stderr, code := ferry(t, append([]string{"-n", "apps", "create", "source", "git", "podinfo", "--export"}, flags...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			golden(t, name, []byte(stdout))
		})
	}
}

func TestCreateSourceGitRefusals(t *testing.T) {
	url := "--url=https://github.com/stefanprodan/podinfo"
	tests := map[string]struct {
		args []string
		want string
	}{
		"no url":          {[]string{"--export"}, "--url is required"},
		"scp url":         {[]string{"--url=git@github.com:org/repo", "--export"}, "--url"},
		"tag and semver":  {[]string{url, "--tag=v1", "--tag-semver=1.x", "--export"}, "mutually exclusive"},
		"branch and tag":  {[]string{url, "--tag=v1", "--branch=main", "--export"}, "cannot be combined"},
		"zero interval":   {[]string{url, "--interval=0s", "--export"}, "--interval"},
		"missing name":    {[]string{url}, "accepts 1 arg"},
		"bad timeout":     {[]string{url, "--timeout=soon"}, "invalid argument"},
		"extra arguments": {[]string{"a", url}, "accepts 1 arg"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			args := []string{"create", "source", "git"}
			if !strings.HasPrefix(name, "missing name") {
				args = append(args, "podinfo")
			}
			_, stderr, code := ferry(t, append(args, tt.args...)...)
			if code == 0 {
				t.Fatal("exit code 0, want failure")
			}
			mustContain(t, "stderr", stderr, tt.want)
		})
	}
}

// sshFixtures writes a fixed (test-only) ed25519 private key and a
// known_hosts line to dir and returns their paths.
func sshFixtures(t *testing.T) (keyFile, knownHosts string) {
	t.Helper()
	dir := t.TempDir()
	key := ed25519.NewKeyFromSeed([]byte("ferry-test-ssh-key-seed-32-bytes"))
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	keyFile = filepath.Join(dir, "identity")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	host, err := ssh.NewPublicKey(ed25519.NewKeyFromSeed([]byte("ferry-test-host-key-seed-32-byte")).Public())
	if err != nil {
		t.Fatal(err)
	}
	knownHosts = filepath.Join(dir, "known_hosts")
	if err := os.WriteFile(knownHosts, []byte("github.com "+string(ssh.MarshalAuthorizedKey(host))), 0o600); err != nil {
		t.Fatal(err)
	}
	return keyFile, knownHosts
}

// TestCreateSecretGitExport checks the Secrets `create secret git --export`
// prints for each kind of credential against golden files.
func TestCreateSecretGitExport(t *testing.T) {
	keyFile, knownHosts := sshFixtures(t)
	tests := map[string][]string{
		"create_secret_git_basic.golden":  {"--url=https://github.com/org/repo", "--username=git", "--password=s3cret"},
		"create_secret_git_bearer.golden": {"--url=https://github.com/org/repo", "--bearer-token=t0ken"},
		"create_secret_git_ssh.golden":    {"--url=ssh://git@github.com/org/repo", "--private-key-file=" + keyFile, "--known-hosts-file=" + knownHosts},
	}
	for name, flags := range tests {
		t.Run(name, func(t *testing.T) {
			stdout, stderr, code := ferry(t, append([]string{"-n", "apps", "create", "secret", "git", "repo-auth", "--export"}, flags...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			golden(t, name, []byte(stdout))
		})
	}
}

func TestCreateSecretGitRefusals(t *testing.T) {
	keyFile, knownHosts := sshFixtures(t)
	garbage := filepath.Join(t.TempDir(), "garbage")
	if err := os.WriteFile(garbage, []byte("not a key\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	https, sshURL := "--url=https://github.com/org/repo", "--url=ssh://git@github.com/org/repo"
	tests := map[string]struct {
		args []string
		want string
	}{
		"no credentials":        {[]string{https}, "no credentials given"},
		"user without password": {[]string{https, "--username=git"}, "needs both --username and --password"},
		"basic and bearer":      {[]string{https, "--username=git", "--password=s3cret", "--bearer-token=t0ken"}, "not both"},
		"key for https":         {[]string{https, "--private-key-file=" + keyFile}, "are for SSH URLs"},
		"ssh without key":       {[]string{sshURL, "--known-hosts-file=" + knownHosts}, "needs --private-key-file"},
		"ssh without hosts":     {[]string{sshURL, "--private-key-file=" + keyFile}, "ssh-keyscan github.com"},
		"ssh with bad key":      {[]string{sshURL, "--private-key-file=" + garbage, "--known-hosts-file=" + knownHosts}, "not a usable SSH private key"},
		"ssh with bad hosts":    {[]string{sshURL, "--private-key-file=" + keyFile, "--known-hosts-file=" + garbage}, "not a known_hosts entry"},
		"ssh with a token":      {[]string{sshURL, "--bearer-token=t0ken"}, "are for HTTP(S) URLs"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, stderr, code := ferry(t, append([]string{"create", "secret", "git", "repo-auth", "--export"}, tt.args...)...)
			if code == 0 {
				t.Fatal("exit code 0, want failure")
			}
			mustContain(t, "stderr", stderr, tt.want)
			for _, secret := range []string{"s3cret", "t0ken"} {
				if strings.Contains(stderr, secret) {
					t.Errorf("stderr reveals a credential: %s", stderr)
				}
			}
		})
	}
}

// TestCreateSourceGitAndSecret creates a Secret and a GitRepository using
// it against the real cluster and git server, waits for the artifact, then
// updates both.
func TestCreateSourceGitAndSecret(t *testing.T) {
	ns := env.NewNamespace(t, "create")
	repo, err := env.Git.InitRepo(ns+"/app", "main")
	if err != nil {
		t.Fatal(err)
	}
	head, err := repo.CommitFiles("initial", map[string]string{"deploy/cm.yaml": configMapYAML("settings", "one")})
	if err != nil {
		t.Fatal(err)
	}
	url := env.Git.RepoURL(ns + "/app")

	_, stderr, code := ferry(t, "-n", ns, "create", "secret", "git", "app-auth", "--url="+url, "--username=git", "--password=s3cret")
	if code != 0 {
		t.Fatalf("create secret exited %d: %s", code, stderr)
	}
	mustContain(t, "create secret output", stderr, "✔ git secret 'app-auth' created in '"+ns+"' namespace")
	if strings.Contains(stderr, "s3cret") {
		t.Errorf("create secret printed the password: %s", stderr)
	}
	var secret corev1.Secret
	if err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "app-auth"}, &secret); err != nil {
		t.Fatal(err)
	}
	if string(secret.Data["username"]) != "git" || string(secret.Data["password"]) != "s3cret" {
		t.Errorf("secret data = %v", secret.Data)
	}
	_, stderr, code = ferry(t, "-n", ns, "create", "secret", "git", "app-auth", "--url="+url, "--bearer-token=t0ken")
	if code != 0 {
		t.Fatalf("update secret exited %d: %s", code, stderr)
	}
	mustContain(t, "update secret output", stderr, "updated")
	if err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "app-auth"}, &secret); err != nil {
		t.Fatal(err)
	}
	if string(secret.Data["bearerToken"]) != "t0ken" || secret.Data["password"] != nil {
		t.Errorf("secret data after update = %v", secret.Data)
	}

	// The test git server takes no credentials, so the source works
	// without the secret.
	_, stderr, code = ferry(t, "-n", ns, "create", "source", "git", "app", "--url="+url, "--branch=main", "--interval=10m")
	if code != 0 {
		t.Fatalf("create source git exited %d: %s", code, stderr)
	}
	mustContain(t, "create source output", stderr,
		"► applying GitRepository app in "+ns+" namespace",
		"✔ GitRepository created",
		"◎ waiting for GitRepository reconciliation",
		"✔ GitRepository reconciliation completed",
		"✔ fetched revision main@sha1:"+head)

	// Updating to a branch that does not exist fails with the message.
	_, stderr, code = ferry(t, "-n", ns, "create", "source", "git", "app", "--url="+url, "--branch=nope", "--ignore-paths=*.md")
	if code != 1 {
		t.Fatalf("create source git with a missing branch exited %d, want 1: %s", code, stderr)
	}
	mustContain(t, "failed update output", stderr, "✔ GitRepository updated", "✗ GitRepository reconciliation failed", "nope")
	gr := &sourcev1.GitRepository{}
	if err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "app"}, gr); err != nil {
		t.Fatal(err)
	}
	if gr.Spec.Reference.Branch != "nope" || gr.Spec.Ignore == nil || *gr.Spec.Ignore != "*.md" || gr.Spec.Interval.Duration.String() != "1m0s" {
		t.Errorf("spec after update = %+v", gr.Spec)
	}
}
