package gitrepository_test

import (
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/gitserver"
	"github.com/ferrycd/ferry/internal/testenv"
)

// storedFiles lists the artifact files the storage holds for the object.
func storedFiles(t *testing.T, ns, name string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(env.Storage.Root(), "gitrepository", ns, name))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

// TestSizeLimits checks that a checkout or an artifact past the
// reconciler's limits fails with a message naming the limit, stores no new
// artifact and keeps serving the last good one.
func TestSizeLimits(t *testing.T) {
	random := make([]byte, 3*testMaxArtifactSize/2)
	if _, err := rand.Read(random); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, file, content, reason, message string
	}{{
		name:    "checkout",
		file:    "big/zeros.bin",
		content: strings.Repeat("\x00", int(testMaxCheckoutSize)+1),
		reason:  "CheckoutTooLarge",
		message: fmt.Sprintf("repository checkout exceeds the maximum checkout size of %d bytes", testMaxCheckoutSize),
	}, {
		name:    "artifact",
		file:    "big/random.bin",
		content: string(random),
		reason:  "ArchiveOperationFailed",
		message: fmt.Sprintf("unable to archive artifact to storage: artifact exceeds the maximum artifact size of %d bytes", testMaxArtifactSize),
	}} {
		t.Run(tc.name, func(t *testing.T) {
			ns := newNamespace(t)
			git, repo, head := newGitServer(t)
			gr := newGitRepository(ns, "app", git.RepoURL("org/app"))
			create(t, gr)
			key := client.ObjectKeyFromObject(gr)
			good := waitFor(t, key, "Ready", isReadyWith("main@sha1:"+head)).Status.Artifact

			if _, err := repo.CommitFiles("add a big file", map[string]string{tc.file: tc.content}); err != nil {
				t.Fatal(err)
			}
			requestReconcile(t, key)
			gr = waitFor(t, key, "failing on the limit", func(gr *sourcev1.GitRepository) bool {
				c := cond(gr, "Ready")
				return c != nil && c.Status == metav1.ConditionFalse && c.Reason == tc.reason
			})
			if msg := cond(gr, "Ready").Message; msg != tc.message {
				t.Errorf("Ready message = %q, want %q", msg, tc.message)
			}
			if gr.Status.Artifact == nil || gr.Status.Artifact.Digest != good.Digest {
				t.Errorf("artifact = %+v, want the last good one %s", gr.Status.Artifact, good.Digest)
			}
			if c := cond(gr, "ArtifactInStorage"); c == nil || c.Status != metav1.ConditionTrue {
				t.Errorf("ArtifactInStorage = %+v", c)
			}
			if c := cond(gr, "ArtifactOutdated"); c == nil || c.Status != metav1.ConditionTrue || c.Reason != "NewRevision" {
				t.Errorf("ArtifactOutdated = %+v, want True NewRevision", c)
			}
			// The controller retries the failure with backoff, so a retry may be
			// writing its temporary archive right now: wait for a moment with
			// only the last good artifact. A leaked file never goes away.
			var files []string
			for end := time.Now().Add(testenv.Deadline); ; time.Sleep(20 * time.Millisecond) {
				files = storedFiles(t, ns, "app")
				if len(files) == 1 && files[0] == filepath.Base(good.Path) {
					break
				}
				if time.Now().After(end) {
					t.Errorf("storage holds %v, want only the last good artifact", files)
					break
				}
			}
		})
	}
}

// TestSymlinksLeavingCheckoutNotArchived commits symlinks pointing outside
// the checkout and checks that only the one staying inside is archived.
func TestSymlinksLeavingCheckoutNotArchived(t *testing.T) {
	ns := newNamespace(t)
	git, repo, _ := newGitServer(t)
	for link, target := range map[string]string{
		"etc":           "/etc",
		"passwd":        "../../../../../../../etc/passwd",
		"deploy/up":     "../..",
		"inside.yaml":   "deploy/configmap.yaml",
		"deploy/loop":   ".",
		"dangling.yaml": "missing.yaml",
	} {
		if err := os.Symlink(target, filepath.Join(repo.Dir, filepath.FromSlash(link))); err != nil {
			t.Fatal(err)
		}
	}
	head, err := repo.Commit("add symlinks")
	if err != nil {
		t.Fatal(err)
	}
	if out, err := gitserver.Git(repo.Dir, "ls-files", "-s", "etc"); err != nil || !strings.HasPrefix(out, "120000") {
		t.Fatalf("the symlink was not committed as one: %q %v", out, err)
	}
	gr := newGitRepository(ns, "app", git.RepoURL("org/app"))
	create(t, gr)
	gr = waitFor(t, client.ObjectKeyFromObject(gr), "Ready", isReadyWith("main@sha1:"+head))
	files := artifactFiles(t, gr.Status.Artifact)
	assertFiles(t, files, []string{"deploy/configmap.yaml", "inside.yaml"},
		[]string{"etc/passwd", "passwd", "dangling.yaml"})
	for name := range files {
		if strings.HasPrefix(name, "etc/") || strings.HasPrefix(name, "deploy/up/") || strings.HasPrefix(name, "deploy/loop/") {
			t.Errorf("artifact follows a symlink out of (or around) the checkout: %s", name)
		}
	}
	if files["inside.yaml"] != files["deploy/configmap.yaml"] {
		t.Errorf("inside.yaml = %q, want the content of deploy/configmap.yaml", files["inside.yaml"])
	}
}
