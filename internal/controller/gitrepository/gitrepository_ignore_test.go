package gitrepository_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/artifact"
)

// artifactFiles fetches the artifact (digest verified) and returns its
// files as name → content.
func artifactFiles(t *testing.T, a *meta.Artifact) map[string]string {
	t.Helper()
	dir := t.TempDir()
	if err := (&artifact.Fetcher{Storage: env.Storage}).Fetch(context.Background(), a, dir); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || !info.Mode().IsRegular() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func assertFiles(t *testing.T, files map[string]string, present, absent []string) {
	t.Helper()
	for _, p := range present {
		if _, ok := files[p]; !ok {
			t.Errorf("artifact lacks %s; files: %v", p, keys(files))
		}
	}
	for _, p := range absent {
		if _, ok := files[p]; ok {
			t.Errorf("artifact has %s, which should be excluded; files: %v", p, keys(files))
		}
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestIgnore checks Flux's content selection: the default exclusions, then
// spec.ignore (which replaces them, except the VCS ones, and forces a new
// artifact of the same revision), then .sourceignore files in
// subdirectories.
func TestIgnore(t *testing.T) {
	ns := newNamespace(t)
	git, repo, _ := newGitServer(t)
	head, err := repo.CommitFiles("add assets", map[string]string{
		"logo.png":                 "png",
		"dist/app.tar.gz":          "tgz",
		".github/workflows/ci.yml": "ci",
		".gitignore":               "*.tmp\n",
		"deploy/.sops.yaml":        "creation_rules: []\n",
		"notes/todo.txt":           "todo",
	})
	if err != nil {
		t.Fatal(err)
	}
	revision := "main@sha1:" + head
	gr := newGitRepository(ns, "app", git.RepoURL("org/app"))
	create(t, gr)
	key := client.ObjectKeyFromObject(gr)

	gr = waitFor(t, key, "Ready", isReadyWith(revision))
	if gr.Status.ObservedIgnore != nil {
		t.Errorf("observedIgnore = %q without spec.ignore", *gr.Status.ObservedIgnore)
	}
	assertFiles(t, artifactFiles(t, gr.Status.Artifact),
		[]string{"deploy/configmap.yaml", "notes/todo.txt"},
		[]string{"logo.png", "dist/app.tar.gz", ".github/workflows/ci.yml", ".gitignore", "deploy/.sops.yaml"})
	first := gr.Status.Artifact.Digest

	// spec.ignore: same remote revision, new artifact, observedIgnore.
	ignore := "# no notes\n/notes/\n"
	patch := client.MergeFrom(gr.DeepCopy())
	gr.Spec.Ignore = &ignore
	if err := env.Client.Patch(context.Background(), gr, patch); err != nil {
		t.Fatal(err)
	}
	gr = waitFor(t, key, "Ready with observedIgnore", func(gr *sourcev1.GitRepository) bool {
		return isReadyWith(revision)(gr) && gr.Status.ObservedIgnore != nil && *gr.Status.ObservedIgnore == ignore
	})
	if gr.Status.Artifact.Digest == first {
		t.Error("changing spec.ignore did not produce a new artifact")
	}
	assertFiles(t, artifactFiles(t, gr.Status.Artifact),
		[]string{"deploy/configmap.yaml", "logo.png", "dist/app.tar.gz", ".github/workflows/ci.yml", "deploy/.sops.yaml"},
		[]string{"notes/todo.txt", ".gitignore"})

	// A .sourceignore in a subdirectory applies to it, before spec.ignore.
	head, err = repo.CommitFiles("add a sourceignore", map[string]string{
		"deploy/.sourceignore": "*.txt\n!keep.txt\n",
		"deploy/drop.txt":      "drop",
		"deploy/keep.txt":      "keep",
		"other/drop.txt":       "kept: outside the scope of deploy/.sourceignore",
	})
	if err != nil {
		t.Fatal(err)
	}
	requestReconcile(t, key)
	gr = waitFor(t, key, "Ready", isReadyWith("main@sha1:"+head))
	assertFiles(t, artifactFiles(t, gr.Status.Artifact),
		[]string{"deploy/configmap.yaml", "deploy/keep.txt", "other/drop.txt", "deploy/.sourceignore"},
		[]string{"deploy/drop.txt", "notes/todo.txt"})
}
