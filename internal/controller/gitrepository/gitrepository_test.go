package gitrepository_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/artifact"
)

// TestReconcileStoresArtifact clones a repository over a real git server
// and checks the status, the stored artifact and the event, as Flux has
// them.
func TestReconcileStoresArtifact(t *testing.T) {
	ns := newNamespace(t)
	git, _, head := newGitServer(t)
	gr := newGitRepository(ns, "app", git.RepoURL("org/app"))
	create(t, gr)
	key := client.ObjectKeyFromObject(gr)

	revision := "main@sha1:" + head
	gr = waitFor(t, key, "Ready", isReadyWith(revision))

	ready := cond(gr, "Ready")
	if ready.Reason != "Succeeded" || ready.Message != "stored artifact for revision '"+revision+"'" {
		t.Errorf("Ready = %s %q", ready.Reason, ready.Message)
	}
	if c := cond(gr, "ArtifactInStorage"); c == nil || c.Status != metav1.ConditionTrue || c.Message != ready.Message {
		t.Errorf("ArtifactInStorage = %+v", c)
	}
	for _, absent := range []string{"Reconciling", "Stalled", "FetchFailed"} {
		if c := cond(gr, absent); c != nil {
			t.Errorf("condition %s present on a ready object: %+v", absent, c)
		}
	}
	if gr.Status.ObservedGeneration != gr.Generation {
		t.Errorf("observedGeneration = %d, want %d", gr.Status.ObservedGeneration, gr.Generation)
	}
	if len(gr.Finalizers) != 1 || gr.Finalizers[0] != "finalizers.fluxcd.io" {
		t.Errorf("finalizers = %v", gr.Finalizers)
	}

	// The artifact is where the status says, served over HTTP, and its
	// digest matches.
	a := gr.Status.Artifact
	hexDigest := strings.TrimPrefix(a.Digest, "sha256:")
	if want := "gitrepository/" + ns + "/app/" + hexDigest + ".tar.gz"; a.Path != want {
		t.Errorf("artifact path = %s, want %s", a.Path, want)
	}
	if want := "http://" + env.Storage.Hostname() + "/" + a.Path; a.URL != want {
		t.Errorf("artifact URL = %s, want %s", a.URL, want)
	}
	resp, err := http.Get(a.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %d, %v", a.URL, resp.StatusCode, err)
	}
	sum := sha256.Sum256(body)
	if got := hex.EncodeToString(sum[:]); got != hexDigest {
		t.Errorf("downloaded artifact has digest %s, status says %s", got, hexDigest)
	}
	if a.Size == nil || *a.Size != int64(len(body)) {
		t.Errorf("artifact size = %v, downloaded %d bytes", a.Size, len(body))
	}

	// The content is the checkout without .git.
	dir := t.TempDir()
	if err := (&artifact.Fetcher{}).Fetch(context.Background(), a, dir); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "deploy", "configmap.yaml"))
	if err != nil || !strings.Contains(string(b), "kind: ConfigMap") {
		t.Errorf("deploy/configmap.yaml = %q, %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(dir, ".git")); !os.IsNotExist(err) {
		t.Errorf(".git is in the artifact: %v", err)
	}

	e := waitForEvent(t, ns, "app", corev1.EventTypeNormal, "NewArtifact")
	if e.Message != "stored artifact for commit 'add the app config'" {
		t.Errorf("NewArtifact event message = %q", e.Message)
	}
	if e.Source.Component != "source-controller" {
		t.Errorf("event source = %q, want source-controller", e.Source.Component)
	}
}

// TestReconcileRequestFetchesNewCommit pushes a new commit and asks for a
// reconcile as `flux reconcile source git` does: the new revision is
// stored, and only the last two artifacts are kept.
func TestReconcileRequestFetchesNewCommit(t *testing.T) {
	ns := newNamespace(t)
	git, repo, head := newGitServer(t)
	gr := newGitRepository(ns, "app", git.RepoURL("org/app"))
	create(t, gr)
	key := client.ObjectKeyFromObject(gr)
	gr = waitFor(t, key, "Ready", isReadyWith("main@sha1:"+head))
	first := gr.Status.Artifact.DeepCopy()

	var revisions []string
	for i, content := range []string{"two", "three"} {
		if err := repo.Remove("deploy/configmap.yaml"); err != nil {
			t.Fatal(err)
		}
		next, err := repo.CommitFiles("commit "+content, map[string]string{"file.txt": content})
		if err != nil {
			t.Fatal(err)
		}
		token := requestReconcile(t, key)
		gr = waitFor(t, key, "Ready with the new commit", func(gr *sourcev1.GitRepository) bool {
			return isReadyWith("main@sha1:"+next)(gr) && gr.Status.LastHandledReconcileAt == token
		})
		revisions = append(revisions, gr.Status.Artifact.Revision)
		if gr.Status.Artifact.Digest == first.Digest {
			t.Errorf("commit %d: digest unchanged although the content changed", i+2)
		}
	}
	if revisions[0] == revisions[1] {
		t.Errorf("revisions did not change: %v", revisions)
	}

	// Garbage collection keeps the current artifact and the one before.
	if env.Storage.Exists(first) {
		t.Errorf("the first artifact %s survived two newer ones", first.Path)
	}
	if !env.Storage.Exists(gr.Status.Artifact) {
		t.Errorf("the current artifact %s is not in storage", gr.Status.Artifact.Path)
	}
	entries, err := os.ReadDir(filepath.Join(env.Storage.Root(), "gitrepository", ns, "app"))
	if err != nil || len(entries) != 2 {
		t.Errorf("storage keeps %d artifacts (%v), want 2", len(entries), err)
	}
}

// TestUnchangedRemoteSkipsClone checks that a reconcile without a new
// commit only lists the remote's references and does not clone again.
func TestUnchangedRemoteSkipsClone(t *testing.T) {
	ns := newNamespace(t)
	git, _, head := newGitServer(t)
	gr := newGitRepository(ns, "app", git.RepoURL("org/app"))
	create(t, gr)
	key := client.ObjectKeyFromObject(gr)
	gr = waitFor(t, key, "Ready", isReadyWith("main@sha1:"+head))
	fetches := git.fetches.Load()
	if fetches == 0 {
		t.Fatal("the first reconcile did not fetch")
	}
	before := gr.Status.Artifact.DeepCopy()

	token := requestReconcile(t, key)
	gr = waitFor(t, key, "handled the request", func(gr *sourcev1.GitRepository) bool {
		return gr.Status.LastHandledReconcileAt == token
	})
	if n := git.fetches.Load(); n != fetches {
		t.Errorf("an unchanged remote was fetched again (%d fetches, want %d)", n, fetches)
	}
	if !gr.Status.Artifact.LastUpdateTime.Equal(&before.LastUpdateTime) || gr.Status.Artifact.Digest != before.Digest {
		t.Errorf("artifact changed: %+v, was %+v", gr.Status.Artifact, before)
	}
	if !isReadyWith("main@sha1:" + head)(gr) {
		t.Errorf("not Ready after the skipped clone: %+v", gr.Status.Conditions)
	}

	// A spec change re-clones even though the remote head is the same.
	gr.Spec.Interval = metav1.Duration{Duration: 2 * gr.Spec.Interval.Duration}
	if err := env.Client.Update(context.Background(), gr); err != nil {
		t.Fatal(err)
	}
	waitFor(t, key, "Ready for the new generation", isReadyWith("main@sha1:"+head))
	if n := git.fetches.Load(); n == fetches {
		t.Error("a new generation did not fetch")
	}
}
