package gitrepository_test

import (
	"context"
	"slices"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/client"

	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/gitserver"
)

// TestSparseCheckout archives only the directories of spec.sparseCheckout
// and records them in status.observedSparseCheckout; dropping the field
// archives the whole tree again.
func TestSparseCheckout(t *testing.T) {
	git, repo, _ := newGitServer(t)
	head, err := repo.CommitFiles("more", map[string]string{"other/other.yaml": "o", "apps/a/app.yaml": "a"})
	if err != nil {
		t.Fatal(err)
	}
	ns := newNamespace(t)
	gr := newGitRepository(ns, "sparse", git.RepoURL("org/app"), func(gr *sourcev1.GitRepository) {
		gr.Spec.SparseCheckout = []string{"deploy", "./apps/a/"}
	})
	create(t, gr)
	key := client.ObjectKeyFromObject(gr)
	gr = waitFor(t, key, "Ready", isReadyWith("main@sha1:"+head))
	assertFiles(t, artifactFiles(t, gr.Status.Artifact), []string{"deploy/configmap.yaml", "apps/a/app.yaml"}, []string{"other/other.yaml"})
	if !slices.Equal(gr.Status.ObservedSparseCheckout, []string{"deploy", "./apps/a/"}) {
		t.Errorf("observedSparseCheckout = %v", gr.Status.ObservedSparseCheckout)
	}
	digest := gr.Status.Artifact.Digest

	gr.Spec.SparseCheckout = nil
	if err := env.Client.Update(context.Background(), gr); err != nil {
		t.Fatal(err)
	}
	gr = waitFor(t, key, "Ready with the whole tree", func(gr *sourcev1.GitRepository) bool {
		return isReadyWith("main@sha1:"+head)(gr) && gr.Status.Artifact.Digest != digest
	})
	assertFiles(t, artifactFiles(t, gr.Status.Artifact), []string{"deploy/configmap.yaml", "other/other.yaml"}, nil)
	if gr.Status.ObservedSparseCheckout != nil {
		t.Errorf("observedSparseCheckout = %v after dropping sparseCheckout", gr.Status.ObservedSparseCheckout)
	}
}

// TestRecurseSubmodules archives a submodule served by the same git
// server when spec.recurseSubmodules is true, and records it.
func TestRecurseSubmodules(t *testing.T) {
	git, repo, _ := newGitServer(t)
	lib, err := git.InitRepo("org/lib", "main")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lib.CommitFiles("lib", map[string]string{"lib.yaml": "lib"}); err != nil {
		t.Fatal(err)
	}
	if _, err := gitserver.Git(repo.Dir, "submodule", "--quiet", "add", git.RepoURL("org/lib"), "lib"); err != nil {
		t.Fatal(err)
	}
	head, err := repo.Commit("add lib")
	if err != nil {
		t.Fatal(err)
	}
	ns := newNamespace(t)
	gr := newGitRepository(ns, "submodules", git.RepoURL("org/app"), func(gr *sourcev1.GitRepository) {
		gr.Spec.RecurseSubmodules = true
	})
	create(t, gr)
	key := client.ObjectKeyFromObject(gr)
	gr = waitFor(t, key, "Ready", isReadyWith("main@sha1:"+head))
	assertFiles(t, artifactFiles(t, gr.Status.Artifact), []string{"deploy/configmap.yaml", "lib/lib.yaml"}, nil)
	if !gr.Status.ObservedRecurseSubmodules {
		t.Error("observedRecurseSubmodules is false")
	}
	fetches := git.fetches.Load()

	gr.Spec.RecurseSubmodules = false
	if err := env.Client.Update(context.Background(), gr); err != nil {
		t.Fatal(err)
	}
	gr = waitFor(t, key, "Ready without submodules", func(gr *sourcev1.GitRepository) bool {
		return isReadyWith("main@sha1:"+head)(gr) && !gr.Status.ObservedRecurseSubmodules
	})
	assertFiles(t, artifactFiles(t, gr.Status.Artifact), []string{"deploy/configmap.yaml"}, []string{"lib/lib.yaml"})
	if git.fetches.Load() == fetches {
		t.Error("turning recurseSubmodules off did not fetch again")
	}
}
