package cli

import (
	"context"
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/internal/gitserver"
	"github.com/ferrycd/ferry/internal/testenv"
)

// syncYAML is a GitRepository and a Kustomization written exactly as Flux
// users write them.
const syncYAML = `---
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: %[1]s
  namespace: %[2]s
spec:
  interval: 10m
  url: %[3]s
  ref:
    branch: main
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: %[1]s
  namespace: %[2]s
spec:
  interval: 10m
  path: %[4]s
  prune: true
  sourceRef:
    kind: GitRepository
    name: %[1]s
  targetNamespace: %[2]s
`

func configMapYAML(name, value string) string {
	return fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\ndata:\n  value: %q\n", name, value)
}

// setupSync creates a repository with files and the Flux objects syncing
// path from it into a new namespace.
func setupSync(t *testing.T, name, path string, files map[string]string) (ns string, repo *gitserver.Repo) {
	t.Helper()
	ns, repo = setupSyncRepo(t, name, files)
	createSyncObjects(t, ns, name, path)
	return ns, repo
}

// setupSyncRepo creates a new namespace and a repository with files.
func setupSyncRepo(t *testing.T, name string, files map[string]string) (ns string, repo *gitserver.Repo) {
	t.Helper()
	ns = env.NewNamespace(t, name)
	repo, err := env.Git.InitRepo(ns+"/"+name, "main")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := repo.CommitFiles("initial", files); err != nil {
		t.Fatal(err)
	}
	return ns, repo
}

// createSyncObjects creates the GitRepository and Kustomization name in ns that
// sync path of the repository setupSyncRepo made into ns.
func createSyncObjects(t *testing.T, ns, name, path string) {
	t.Helper()
	objs, err := decodeManifests([]byte(fmt.Sprintf(syncYAML, name, ns, env.Git.RepoURL(ns+"/"+name), path)))
	if err != nil {
		t.Fatal(err)
	}
	for _, obj := range objs {
		if err := env.Client.Create(context.Background(), obj); err != nil {
			t.Fatalf("creating %s: %v", objectName(obj), err)
		}
	}
}

func TestReconcileKustomizationWithSource(t *testing.T) {
	ns, repo := setupSync(t, "app", "./deploy", map[string]string{"deploy/cm.yaml": configMapYAML("settings", "one")})
	head, _ := repo.Head()

	_, stderr, code := ferry(t, "-n", ns, "reconcile", "kustomization", "app", "--with-source")
	if code != 0 {
		t.Fatalf("reconcile exited %d:\n%s", code, stderr)
	}
	mustContain(t, "reconcile output", stderr,
		"► annotating GitRepository app in "+ns+" namespace",
		"✔ fetched revision main@sha1:"+head,
		"◎ waiting for Kustomization reconciliation",
		"✔ applied revision main@sha1:"+head)

	// A new commit is applied by the next reconcile --with-source.
	head, err := repo.CommitFiles("change", map[string]string{"deploy/cm.yaml": configMapYAML("settings", "two")})
	if err != nil {
		t.Fatal(err)
	}
	_, stderr, code = ferry(t, "-n", ns, "reconcile", "ks", "app", "--with-source")
	if code != 0 {
		t.Fatalf("second reconcile exited %d:\n%s", code, stderr)
	}
	mustContain(t, "second reconcile output", stderr, "✔ applied revision main@sha1:"+head)
	var cm corev1.ConfigMap
	if err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "settings"}, &cm); err != nil {
		t.Fatal(err)
	}
	if cm.Data["value"] != "two" {
		t.Errorf("ConfigMap value = %q after the new commit, want two", cm.Data["value"])
	}

	// get shows both objects with the revision, Ready and the message. The
	// controllers may still be finishing a pass, so wait for the settled row.
	wantRow(t, []string{"-n", ns, "get", "kustomizations"}, "NAME", "REVISION", "SUSPENDED", "READY", "MESSAGE",
		"app", "main@sha1:"+head, "False", "True", "Applied revision: main@sha1:"+head)
	wantRow(t, []string{"get", "sources", "git", "-A"}, "NAMESPACE", ns, "main@sha1:"+head,
		"stored artifact for revision 'main@sha1:"+head+"'")
}

// wantRow runs a get command until its output contains every want.
func wantRow(t *testing.T, args []string, wants ...string) {
	t.Helper()
	testenv.Eventually(t, strings.Join(args, " "), func() (bool, string) {
		stdout, stderr, code := ferry(t, args...)
		if code != 0 {
			return false, fmt.Sprintf("exit %d: %s", code, stderr)
		}
		for _, w := range wants {
			if !strings.Contains(stdout, w) {
				return false, fmt.Sprintf("no %q in:\n%s", w, stdout)
			}
		}
		return true, ""
	})
}

func TestReconcileKustomizationFailure(t *testing.T) {
	ns, _ := setupSync(t, "broken", "./missing", map[string]string{"deploy/cm.yaml": configMapYAML("settings", "one")})
	_, stderr, code := ferry(t, "-n", ns, "reconcile", "kustomization", "broken", "--with-source")
	if code != 1 {
		t.Fatalf("reconcile of a Kustomization with a missing path exited %d, want 1:\n%s", code, stderr)
	}
	mustContain(t, "failure output", stderr, "✗ Kustomization reconciliation failed", "missing")

	stdout, _, _ := ferry(t, "-n", ns, "get", "ks", "broken")
	mustContain(t, "get ks broken", stdout, "broken", "False", "missing")
}

func TestReconcileRefusals(t *testing.T) {
	ns, _ := setupSync(t, "paused", "./deploy", map[string]string{"deploy/cm.yaml": configMapYAML("settings", "one")})
	ks := &kustomizev1.Kustomization{}
	if err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "paused"}, ks); err != nil {
		t.Fatal(err)
	}
	patch := client.MergeFrom(ks.DeepCopy())
	ks.Spec.Suspend = true
	if err := env.Client.Patch(context.Background(), ks, patch); err != nil {
		t.Fatal(err)
	}

	tests := map[string]struct {
		args []string
		want string
	}{
		"suspended":             {[]string{"-n", ns, "reconcile", "kustomization", "paused"}, "is suspended"},
		"missing kustomization": {[]string{"-n", ns, "reconcile", "kustomization", "nope"}, "Kustomization '" + ns + "/nope' not found"},
		"missing source":        {[]string{"-n", ns, "reconcile", "source", "git", "nope"}, "GitRepository '" + ns + "/nope' not found"},
		"missing get":           {[]string{"-n", ns, "get", "ks", "nope"}, `Kustomization "nope" not found`},
		"no arguments":          {[]string{"reconcile", "kustomization"}, "accepts 1 arg"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, stderr, code := ferry(t, tt.args...)
			if code == 0 {
				t.Fatalf("exit code 0, want failure")
			}
			mustContain(t, "stderr", stderr, tt.want)
		})
	}
}

func TestGetEmpty(t *testing.T) {
	ns := env.NewNamespace(t, "empty")
	stdout, stderr, code := ferry(t, "-n", ns, "get", "sources", "git")
	if code != 0 || stdout != "" {
		t.Fatalf("exit %d, stdout %q", code, stdout)
	}
	mustContain(t, "stderr", stderr, "no GitRepository objects found in "+ns+" namespace")
}

func TestVersion(t *testing.T) {
	stdout, _, code := ferry(t, "version")
	if code != 0 || !strings.HasPrefix(stdout, "ferry: ") {
		t.Fatalf("version: exit %d, output %q", code, stdout)
	}
}
