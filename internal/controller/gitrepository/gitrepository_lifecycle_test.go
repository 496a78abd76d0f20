package gitrepository_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/gitserver"
	"github.com/ferrycd/ferry/internal/testenv"
)

// TestDeletionRemovesArtifacts deletes a ready GitRepository: the finalizer
// removes its artifacts and then lets the object go.
func TestDeletionRemovesArtifacts(t *testing.T) {
	ns := newNamespace(t)
	git, _, head := newGitServer(t)
	gr := newGitRepository(ns, "app", git.RepoURL("org/app"))
	create(t, gr)
	key := client.ObjectKeyFromObject(gr)
	gr = waitFor(t, key, "Ready", isReadyWith("main@sha1:"+head))
	a := gr.Status.Artifact.DeepCopy()
	if !env.Storage.Exists(a) {
		t.Fatalf("artifact %s not in storage", a.Path)
	}

	if err := env.Client.Delete(context.Background(), gr); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, "the GitRepository to be gone", func() (bool, string) {
		err := env.Client.Get(context.Background(), key, &sourcev1.GitRepository{})
		return apierrors.IsNotFound(err), fmt.Sprintf("the GitRepository still exists after deletion: %v", err)
	})
	if env.Storage.Exists(a) {
		t.Errorf("artifact %s survived the deletion", a.Path)
	}
	if _, err := os.Stat(filepath.Join(env.Storage.Root(), "gitrepository", ns, "app")); !os.IsNotExist(err) {
		t.Errorf("artifact directory survived the deletion: %v", err)
	}
}

// TestSuspend checks that a suspended GitRepository is left alone and
// reconciles once resumed.
func TestSuspend(t *testing.T) {
	ns := newNamespace(t)
	git, _, head := newGitServer(t)
	gr := newGitRepository(ns, "app", git.RepoURL("org/app"), func(gr *sourcev1.GitRepository) { gr.Spec.Suspend = true })
	create(t, gr)
	key := client.ObjectKeyFromObject(gr)

	// A reconcile request is acknowledged, but nothing is fetched.
	token := requestReconcile(t, key)
	gr = waitFor(t, key, "handled the request", func(gr *sourcev1.GitRepository) bool {
		return gr.Status.LastHandledReconcileAt == token
	})
	if gr.Status.Artifact != nil || len(gr.Status.Conditions) != 0 || git.fetches.Load() != 0 {
		t.Errorf("suspended object was reconciled: %+v, %d fetches", gr.Status, git.fetches.Load())
	}

	gr.Spec.Suspend = false
	if err := env.Client.Update(context.Background(), gr); err != nil {
		t.Fatal(err)
	}
	waitFor(t, key, "Ready after resume", isReadyWith("main@sha1:"+head))
}

// TestTagAndBearerToken checks a tag reference and bearer token auth.
func TestTagAndBearerToken(t *testing.T) {
	ns := newNamespace(t)
	git, repo, head := newGitServer(t, func(s *gitserver.Server) { s.WithBearerToken(bearerToken) })
	if _, err := repo.Commit("tagged"); err != nil {
		t.Fatal(err)
	}
	tagged, err := repo.Head()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := repo.CommitFiles("after the tag", map[string]string{"later.txt": "later"}); err != nil {
		t.Fatal(err)
	}
	if tagged == head {
		t.Fatal("the tagged commit should differ from the first")
	}
	if err := tag(repo.Dir, "v1.0.0", tagged); err != nil {
		t.Fatal(err)
	}
	create(t, secret(ns, "token", map[string]string{"bearerToken": bearerToken}))
	gr := newGitRepository(ns, "app", git.RepoURL("org/app"), withSecret("token"), func(gr *sourcev1.GitRepository) {
		gr.Spec.Reference = &sourcev1.GitRepositoryRef{Tag: "v1.0.0"}
	})
	create(t, gr)
	gr = waitFor(t, client.ObjectKeyFromObject(gr), "Ready", isReadyWith("v1.0.0@sha1:"+tagged))
	testenv.AssertNoSecret(t, env.Client, gr, bearerToken)
}
