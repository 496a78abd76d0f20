package gitrepository_test

import (
	"context"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
)

// TestInclude checks spec.include end to end: the includer waits for a
// missing repository (naming it), then copies its artifact into toPath,
// records the included artifacts, keeps its own revision, and rebuilds when
// the included repository gets a new revision.
func TestInclude(t *testing.T) {
	ns := newNamespace(t)
	git, _, appHead := newGitServer(t)
	lib, err := git.InitRepo("org/lib", "main")
	if err != nil {
		t.Fatal(err)
	}
	libHead, err := lib.CommitFiles("add the chart", map[string]string{
		"charts/lib/Chart.yaml": "name: lib\nversion: 1.0.0\n",
		"README.md":             "lib",
	})
	if err != nil {
		t.Fatal(err)
	}

	app := newGitRepository(ns, "app", git.RepoURL("org/app"), func(gr *sourcev1.GitRepository) {
		gr.Spec.Include = []sourcev1.GitRepositoryInclude{
			{GitRepositoryRef: meta.LocalObjectReference{Name: "lib"}, FromPath: "charts/lib", ToPath: "vendor/lib"},
			{GitRepositoryRef: meta.LocalObjectReference{Name: "lib"}}, // whole artifact, to "lib"
		}
	})
	create(t, app)
	appKey := client.ObjectKeyFromObject(app)
	app = waitFor(t, appKey, "waiting for its include", func(gr *sourcev1.GitRepository) bool {
		c := cond(gr, "Ready")
		return c != nil && c.Status == metav1.ConditionFalse && c.Reason == "NotFound"
	})
	if msg := cond(app, "Ready").Message; !strings.Contains(msg, "include 'lib'") {
		t.Errorf("Ready message does not name the include: %q", msg)
	}
	if c := cond(app, "IncludeUnavailable"); c == nil || c.Status != metav1.ConditionTrue {
		t.Errorf("IncludeUnavailable = %+v", c)
	}
	if c := cond(app, "Stalled"); c != nil {
		t.Errorf("a missing include stalled the object: %+v", c)
	}

	create(t, newGitRepository(ns, "lib", git.RepoURL("org/lib")))
	libRevision := "main@sha1:" + libHead
	waitFor(t, client.ObjectKey{Namespace: ns, Name: "lib"}, "Ready", isReadyWith(libRevision))

	// The watch on lib wakes app; its revision stays its own.
	app = waitFor(t, appKey, "Ready with the include", isReadyWith("main@sha1:"+appHead))
	assertFiles(t, artifactFiles(t, app.Status.Artifact),
		[]string{"deploy/configmap.yaml", "vendor/lib/Chart.yaml", "lib/charts/lib/Chart.yaml", "lib/README.md"},
		[]string{"vendor/lib/README.md", "README.md"})
	if len(app.Status.IncludedArtifacts) != 2 || app.Status.IncludedArtifacts[0].Revision != libRevision {
		t.Errorf("includedArtifacts = %+v", app.Status.IncludedArtifacts)
	}
	if len(app.Status.ObservedInclude) != 2 || app.Status.ObservedInclude[0].ToPath != "vendor/lib" {
		t.Errorf("observedInclude = %+v", app.Status.ObservedInclude)
	}
	if c := cond(app, "IncludeUnavailable"); c != nil {
		t.Errorf("IncludeUnavailable left on a ready object: %+v", c)
	}
	firstDigest := app.Status.Artifact.Digest

	// A new revision of lib makes a new artifact of app, same app revision.
	libHead, err = lib.CommitFiles("bump the chart", map[string]string{"charts/lib/Chart.yaml": "name: lib\nversion: 2.0.0\n"})
	if err != nil {
		t.Fatal(err)
	}
	libRevision = "main@sha1:" + libHead
	requestReconcile(t, client.ObjectKey{Namespace: ns, Name: "lib"})
	app = waitFor(t, appKey, "rebuilt with the new include", func(gr *sourcev1.GitRepository) bool {
		return isReadyWith("main@sha1:"+appHead)(gr) && len(gr.Status.IncludedArtifacts) == 2 &&
			gr.Status.IncludedArtifacts[0].Revision == libRevision
	})
	if app.Status.Artifact.Digest == firstDigest {
		t.Error("the includer's artifact did not change with the included revision")
	}
	if got := artifactFiles(t, app.Status.Artifact)["vendor/lib/Chart.yaml"]; !strings.Contains(got, "2.0.0") {
		t.Errorf("vendor/lib/Chart.yaml = %q, want version 2.0.0", got)
	}
}

// TestIncludeTraversalRefused checks a toPath or fromPath leaving the
// artifact stalls the object with a message naming the include.
func TestIncludeTraversalRefused(t *testing.T) {
	ns := newNamespace(t)
	git, _, _ := newGitServer(t)
	for _, tc := range []struct{ name, from, to, field string }{
		{"to", "", "../../etc", "toPath"},
		{"from", "../secrets", "x", "fromPath"},
	} {
		gr := newGitRepository(ns, "app-"+tc.name, git.RepoURL("org/app"), func(gr *sourcev1.GitRepository) {
			gr.Spec.Include = []sourcev1.GitRepositoryInclude{
				{GitRepositoryRef: meta.LocalObjectReference{Name: "lib"}, FromPath: tc.from, ToPath: tc.to},
			}
		})
		create(t, gr)
		gr = waitFor(t, client.ObjectKeyFromObject(gr), "Stalled", func(gr *sourcev1.GitRepository) bool {
			c := cond(gr, "Stalled")
			return c != nil && c.Status == metav1.ConditionTrue
		})
		ready := cond(gr, "Ready")
		if ready == nil || ready.Status != metav1.ConditionFalse || ready.Reason != "IllegalPath" ||
			!strings.Contains(ready.Message, tc.field) || !strings.Contains(ready.Message, "include 'lib'") {
			t.Errorf("%s: Ready = %+v", tc.name, ready)
		}
		if gr.Status.Artifact != nil {
			t.Errorf("%s: an artifact was stored: %+v", tc.name, gr.Status.Artifact)
		}
		_ = env.Client.Delete(context.Background(), gr)
	}
}

// TestIncludeCycleRefused checks that a GitRepository including itself,
// directly or through another, stalls instead of rebuilding forever.
func TestIncludeCycleRefused(t *testing.T) {
	ns := newNamespace(t)
	git, _, _ := newGitServer(t)
	includes := func(name string) func(*sourcev1.GitRepository) {
		return func(gr *sourcev1.GitRepository) {
			gr.Spec.Include = []sourcev1.GitRepositoryInclude{{GitRepositoryRef: meta.LocalObjectReference{Name: name}}}
		}
	}
	create(t, newGitRepository(ns, "self", git.RepoURL("org/app"), includes("self")))
	create(t, newGitRepository(ns, "a", git.RepoURL("org/app"), includes("b")))
	create(t, newGitRepository(ns, "b", git.RepoURL("org/app"), includes("a")))
	for name, path := range map[string]string{"self": "self -> self", "a": "a -> b -> a", "b": "b -> a -> b"} {
		gr := waitFor(t, client.ObjectKey{Namespace: ns, Name: name}, "Stalled", func(gr *sourcev1.GitRepository) bool {
			c := cond(gr, "Stalled")
			return c != nil && c.Status == metav1.ConditionTrue
		})
		ready := cond(gr, "Ready")
		if ready == nil || ready.Reason != "IncludeCycle" || !strings.Contains(ready.Message, path) {
			t.Errorf("%s: Ready = %+v, want IncludeCycle naming %q", name, ready, path)
		}
	}
}
