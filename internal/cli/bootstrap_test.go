package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fluxcd/cli-utils/pkg/object"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/gitserver"
)

// bootstrapCluster is a cluster bootstrap runs against: the CLI and an
// admin client of it.
type bootstrapCluster struct {
	ferry  func(t *testing.T, args ...string) (string, string, int)
	client client.Client
}

// testBootstrap bootstraps two clusters into one repository, as the
// seeds' fleet does: staging, a simulated cluster (ferry dev's) whose
// controllers reconcile ferry's own manifests from Git and where ferry's
// Deployment rolls out; production, env's API-only cluster, not waited
// for. The Git server asks for basic authentication.
func testBootstrap(t *testing.T, staging, production bootstrapCluster) {
	ctx := context.Background()
	auth := gitserver.New(env.Git.Root()).WithBasicAuth("fleet-bot", "s3cret-token")
	auth.AllowPush = true
	if _, err := auth.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(auth.Close)
	seed, err := gitserver.InitRepo(filepath.Join(t.TempDir(), "seed"), "main")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := seed.CommitFiles("init", map[string]string{"README.md": "# fleet\n"}); err != nil {
		t.Fatal(err)
	}
	bare := "bootstrap/" + strings.ToLower(t.Name()[strings.LastIndex(t.Name(), "/")+1:]) + ".git"
	if err := env.Git.InitBareRepo(bare, seed); err != nil {
		t.Fatal(err)
	}
	url := auth.RepoURL(bare)
	show := func(rev string) string {
		out, err := gitserver.Git(filepath.Join(env.Git.Root(), bare), "show", rev)
		if err != nil {
			t.Fatalf("git show %s: %v", rev, err)
		}
		return out
	}
	head := func() string {
		out, err := gitserver.Git(filepath.Join(env.Git.Root(), bare), "rev-parse", "main")
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(out)
	}

	ns := "bootstrap-staging"
	args := []string{"-n", ns, "bootstrap", "git", "--url", url, "--branch", "main", "--path", "clusters/staging",
		"--username", "fleet-bot", "--password", "s3cret-token", "--version", "v1.0.0", "--timeout", "2m"}
	_, stderr, code := staging.ferry(t, args...)
	if code != 0 {
		t.Fatalf("bootstrap exited %d:\n%s", code, stderr)
	}
	first := head()
	mustContain(t, "bootstrap", stderr, "✔ committed and pushed the manifests: main@sha1:"+first,
		"◎ waiting for Kustomization "+ns+"/flux-system to apply main@sha1:"+first,
		"✔ Kustomization "+ns+"/flux-system applied main@sha1:"+first, "✔ bootstrap finished in")
	t.Logf("bootstrap of staging:\n%s", stderr)
	if strings.Contains(stderr, "s3cret-token") {
		t.Errorf("bootstrap printed the password:\n%s", stderr)
	}
	for _, f := range []string{"ferry-components.yaml", "ferry-sync.yaml", "kustomization.yaml"} {
		show("main:clusters/staging/ferry-system/" + f)
	}
	if sync := show("main:clusters/staging/ferry-system/ferry-sync.yaml"); strings.Contains(sync, "s3cret") || !strings.Contains(sync, "path: ./clusters/staging") {
		t.Errorf("ferry-sync.yaml holds a secret or the wrong path:\n%s", sync)
	}
	// ferry applied its own Deployment from Git: it is in the
	// Kustomization's inventory.
	ks := &kustomizev1.Kustomization{}
	if err := staging.client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "flux-system"}, ks); err != nil {
		t.Fatal(err)
	}
	if ks.Status.Inventory == nil || !inInventory(ks.Status.Inventory, object.ObjMetadata{Namespace: ns, Name: "ferry", GroupKind: schema.GroupKind{Group: "apps", Kind: "Deployment"}}) {
		t.Errorf("the sync Kustomization's inventory lacks ferry's Deployment: %+v", ks.Status.Inventory)
	}

	// Again, unchanged: no commit.
	_, stderr, code = staging.ferry(t, args...)
	if code != 0 || head() != first {
		t.Fatalf("a second bootstrap exited %d, head %s (was %s):\n%s", code, head(), first, stderr)
	}
	mustContain(t, "a second bootstrap", stderr, "✔ the manifests in "+strings.Replace(url, "fleet-bot:s3cret-token@", "", 1)+" are up to date")

	// A newer version upgrades through Git.
	upgrade := append(append([]string(nil), args...), "--version", "v1.1.0")
	_, stderr, code = staging.ferry(t, upgrade...)
	second := head()
	if code != 0 || second == first {
		t.Fatalf("bootstrap --version v1.1.0 exited %d, head %s:\n%s", code, second, stderr)
	}
	if err := staging.client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "flux-system"}, ks); err != nil || ks.Status.LastAppliedRevision != "main@sha1:"+second {
		t.Errorf("after the upgrade the Kustomization applied %q, want main@sha1:%s (%v)", ks.Status.LastAppliedRevision, second, err)
	}
	var d appsv1.Deployment
	if err := staging.client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "ferry"}, &d); err != nil || d.Spec.Template.Spec.Containers[0].Image != "ghcr.io/ferrycd/ferry:v1.1.0" {
		t.Errorf("after the upgrade the Deployment runs %v (%v)", d.Spec.Template.Spec.Containers, err)
	}

	// The second cluster, same repository, another path, over SSH with
	// a passphrase-protected key.
	hostKey, _, err := gitserver.GenerateSSHKey("")
	if err != nil {
		t.Fatal(err)
	}
	clientKey, identity, err := gitserver.GenerateSSHKey("key-passphrase")
	if err != nil {
		t.Fatal(err)
	}
	sshd := gitserver.NewSSH(env.Git.Root(), hostKey, clientKey.PublicKey())
	sshd.AllowPush = true
	if _, err := sshd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sshd.Close)
	dir := t.TempDir()
	keyFile, hostsFile := filepath.Join(dir, "id"), filepath.Join(dir, "known_hosts")
	if err := os.WriteFile(keyFile, identity, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(hostsFile, sshd.KnownHosts(), 0o600); err != nil {
		t.Fatal(err)
	}
	sshURL := sshd.RepoURL(bare)
	prod := env.NewNamespace(t, "bootstrap-production")
	_, stderr, code = production.ferry(t, "-n", prod, "bootstrap", "git", "--url", sshURL, "--path", "clusters/production",
		"--private-key-file", keyFile, "--password", "key-passphrase", "--known-hosts-file", hostsFile, "--wait=false")
	if code != 0 {
		t.Fatalf("bootstrap of production over SSH exited %d:\n%s", code, stderr)
	}
	show("main:clusters/production/ferry-system/ferry-sync.yaml")
	if show("main:clusters/staging/ferry-system/ferry-components.yaml") != show(second+":clusters/staging/ferry-system/ferry-components.yaml") {
		t.Error("bootstrapping production changed staging's files")
	}
	repo := &sourcev1.GitRepository{}
	if err := production.client.Get(ctx, client.ObjectKey{Namespace: prod, Name: "flux-system"}, repo); err != nil || repo.Spec.URL != sshURL || repo.Spec.SecretRef == nil {
		t.Errorf("production's GitRepository: %+v (%v)", repo.Spec, err)
	}
	secret := &corev1.Secret{}
	if err := production.client.Get(ctx, client.ObjectKey{Namespace: prod, Name: "flux-system"}, secret); err != nil || len(secret.Data["identity"]) == 0 || len(secret.Data["known_hosts"]) == 0 {
		t.Errorf("production's Secret flux-system lacks the SSH identity or known_hosts: %v", err)
	}
	pks := &kustomizev1.Kustomization{}
	if err := production.client.Get(ctx, client.ObjectKey{Namespace: prod, Name: "flux-system"}, pks); err != nil || pks.Spec.Path != "./clusters/production" {
		t.Errorf("production's Kustomization: %+v (%v)", pks.Spec, err)
	}

	for _, bad := range []struct{ path, want string }{
		{"../elsewhere", `--path "../elsewhere" must be a directory inside the repository`},
		{"/abs", `--path "/abs" must be a directory inside the repository`},
		{"", "--path is required"},
	} {
		_, stderr, code := production.ferry(t, "bootstrap", "git", "--url", url, "--path", bad.path, "--wait=false")
		if code != 1 || !strings.Contains(stderr, bad.want) {
			t.Errorf("bootstrap --path %q: exit %d, %s", bad.path, code, stderr)
		}
	}
	_, stderr, code = production.ferry(t, "bootstrap", "git", "--url", url, "--path", "clusters/x", "--username", "fleet-bot", "--password", "wrong", "--wait=false")
	if code != 1 || strings.Contains(stderr, "wrong") && strings.Contains(stderr, "fleet-bot:wrong") {
		t.Errorf("bootstrap with a wrong password: exit %d, %s", code, stderr)
	}
}
