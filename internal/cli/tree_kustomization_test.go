package cli

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	apimeta "k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/api/meta"
	"github.com/ferrycd/ferry/internal/testenv"
)

// childYAML is a GitRepository and a Kustomization that a parent
// Kustomization applies, as in a Flux fleet repository.
const childYAML = `apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: child
spec:
  interval: 10m
  url: %[1]s
  ref:
    branch: main
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: child
spec:
  interval: 10m
  path: ./child
  prune: true
  sourceRef:
    kind: GitRepository
    name: child
  targetNamespace: %[2]s
`

// TestTreeKustomization applies a parent Kustomization that creates a
// GitRepository and a child Kustomization, and prints the tree of both
// inventories.
func TestTreeKustomization(t *testing.T) {
	ns := env.NewNamespace(t, "tree")
	url := env.Git.RepoURL(ns + "/tree")
	repoFiles := map[string]string{
		"deploy/settings.yaml": configMapYAML("settings", "one"),
		"deploy/child.yaml":    fmt.Sprintf(childYAML, url, ns),
		"child/cm.yaml":        configMapYAML("child-settings", "two"),
	}
	repo, err := env.Git.InitRepo(ns+"/tree", "main")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := repo.CommitFiles("initial", repoFiles); err != nil {
		t.Fatal(err)
	}
	objs, err := decodeManifests([]byte(fmt.Sprintf(syncYAML, "tree", ns, url, "./deploy")))
	if err != nil {
		t.Fatal(err)
	}
	for _, obj := range objs {
		if err := env.Client.Create(context.Background(), obj); err != nil {
			t.Fatalf("creating %s: %v", objectName(obj), err)
		}
	}
	for _, name := range []string{"tree", "child"} {
		testenv.Eventually(t, "Kustomization "+name+" to be ready", func() (bool, string) {
			ks := &kustomizev1.Kustomization{}
			if err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, ks); err != nil {
				return false, err.Error()
			}
			return apimeta.IsStatusConditionTrue(ks.Status.Conditions, meta.ReadyCondition) && ks.Status.Inventory != nil,
				fmt.Sprintf("%+v", ks.Status.Conditions)
		})
	}

	stdout, stderr, code := ferry(t, "-n", ns, "tree", "kustomization", "tree")
	if code != 0 {
		t.Fatalf("tree exited %d: %s", code, stderr)
	}
	golden(t, "tree_kustomization.golden", []byte(strings.ReplaceAll(stdout, ns, "NAMESPACE")))

	stdout, stderr, code = ferry(t, "-n", ns, "tree", "ks", "tree", "--compact")
	if code != 0 {
		t.Fatalf("tree --compact exited %d: %s", code, stderr)
	}
	golden(t, "tree_kustomization_compact.golden", []byte(strings.ReplaceAll(stdout, ns, "NAMESPACE")))

	stdout, stderr, code = ferry(t, "-n", ns, "tree", "ks", "tree", "--compact", "-o", "json")
	if code != 0 {
		t.Fatalf("tree -o json exited %d: %s", code, stderr)
	}
	golden(t, "tree_kustomization_compact.json.golden", []byte(strings.ReplaceAll(stdout, ns, "NAMESPACE")))
	stdout, _, _ = ferry(t, "-n", ns, "tree", "ks", "tree", "-o", "yaml")
	mustContain(t, "tree -o yaml", stdout, "resource:", "resources:", "Kind: ConfigMap", "Name: child-settings")

	_, stderr, code = ferry(t, "-n", ns, "tree", "ks", "tree", "-o", "table")
	if code != 1 {
		t.Fatalf("tree -o table exited %d, want 1", code)
	}
	mustContain(t, "stderr", stderr, "the formats are json and yaml")

	// diff --recursive descends into the child, whose source is given
	// with --local-sources: no change for the same files, a drift once
	// the child's ConfigMap changes locally.
	local := t.TempDir()
	writeTree(t, local, repoFiles)
	diffArgs := []string{"-n", ns, "diff", "ks", "tree", "--path", filepath.Join(local, "deploy"), "--recursive",
		"--local-sources", "GitRepository/" + ns + "/child=" + local}
	stdout, stderr, code = ferry(t, diffArgs...)
	if code != 0 {
		t.Fatalf("recursive diff of the applied files exited %d, want 0:\n%s%s", code, stdout, stderr)
	}
	writeTree(t, local, map[string]string{"child/cm.yaml": configMapYAML("child-settings", "three")})
	stdout, stderr, code = ferry(t, diffArgs...)
	if code != 1 {
		t.Fatalf("recursive diff of a changed child exited %d, want 1:\n%s%s", code, stdout, stderr)
	}
	mustContain(t, "recursive diff", stdout, "► ConfigMap/"+ns+"/child-settings drifted", "-  value: two", "+  value: three")

	_, stderr, code = ferry(t, "-n", ns, "tree", "ks", "nope")
	if code != 1 {
		t.Fatalf("tree of a missing Kustomization exited %d, want 1", code)
	}
	mustContain(t, "stderr", stderr, "Kustomization '"+ns+"/nope' not found")
}
