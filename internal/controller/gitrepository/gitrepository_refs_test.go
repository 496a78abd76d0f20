package gitrepository_test

import (
	"context"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/client"

	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/gitserver"
)

// TestReferences checks spec.ref.semver, spec.ref.name and spec.ref.commit
// end to end: Flux's revision strings, following a new matching tag, and
// no fetch while the resolved reference is unchanged.
func TestReferences(t *testing.T) {
	git, repo, first := newGitServer(t)
	second, err := repo.CommitFiles("second", map[string]string{"second.txt": "2"})
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"tag", "v1.0.0", first},
		{"tag", "-a", "-m", "v1.1.0", "v1.1.0", second},
		{"tag", "v2.0.0", second},
		{"update-ref", "refs/pull/1/head", first},
	} {
		if _, err := gitserver.Git(repo.Dir, args...); err != nil {
			t.Fatal(err)
		}
	}
	ns := newNamespace(t)
	tests := map[string]struct {
		ref     sourcev1.GitRepositoryRef
		wantRev string
	}{
		"semver":             {ref: sourcev1.GitRepositoryRef{SemVer: "1.x"}, wantRev: "v1.1.0@sha1:" + second},
		"tag":                {ref: sourcev1.GitRepositoryRef{Tag: "v1.1.0"}, wantRev: "v1.1.0@sha1:" + second},
		"name":               {ref: sourcev1.GitRepositoryRef{Name: "refs/pull/1/head"}, wantRev: "refs/pull/1/head@sha1:" + first},
		"commit":             {ref: sourcev1.GitRepositoryRef{Commit: first}, wantRev: "sha1:" + first},
		"commit with branch": {ref: sourcev1.GitRepositoryRef{Branch: "main", Commit: first}, wantRev: "main@sha1:" + first},
		"name over branch":   {ref: sourcev1.GitRepositoryRef{Branch: "main", Name: "refs/tags/v2.0.0"}, wantRev: "refs/tags/v2.0.0@sha1:" + second},
	}
	keys := map[string]client.ObjectKey{}
	for name, tt := range tests {
		gr := newGitRepository(ns, "ref-"+map[string]string{
			"semver": "semver", "tag": "tag", "name": "name", "commit": "commit", "commit with branch": "commit-branch", "name over branch": "name-branch",
		}[name], git.RepoURL("org/app"), func(gr *sourcev1.GitRepository) {
			ref := tt.ref
			gr.Spec.Reference = &ref
		})
		create(t, gr)
		keys[name] = client.ObjectKeyFromObject(gr)
	}
	for name, tt := range tests {
		waitFor(t, keys[name], "Ready with "+tt.wantRev, isReadyWith(tt.wantRev))
	}

	// Nothing changed: a requested reconcile resolves the references with
	// ls-remote only.
	fetches := git.fetches.Load()
	for name := range tests {
		token := requestReconcile(t, keys[name])
		waitFor(t, keys[name], "handled the request", func(gr *sourcev1.GitRepository) bool {
			return gr.Status.LastHandledReconcileAt == token
		})
	}
	if n := git.fetches.Load(); n != fetches {
		t.Errorf("unchanged references were fetched again (%d fetches, want %d)", n, fetches)
	}

	// A new tag in the range is followed; the pull request ref moves.
	third, err := repo.CommitFiles("third", map[string]string{"third.txt": "3"})
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"tag", "v1.2.0", third}, {"update-ref", "refs/pull/1/head", third}} {
		if _, err := gitserver.Git(repo.Dir, args...); err != nil {
			t.Fatal(err)
		}
	}
	requestReconcile(t, keys["semver"])
	requestReconcile(t, keys["name"])
	waitFor(t, keys["semver"], "Ready with the new tag", isReadyWith("v1.2.0@sha1:"+third))
	waitFor(t, keys["name"], "Ready with the moved ref", isReadyWith("refs/pull/1/head@sha1:"+third))
	gr := &sourcev1.GitRepository{}
	if err := env.Client.Get(context.Background(), keys["commit"], gr); err != nil {
		t.Fatal(err)
	}
	if !isReadyWith("sha1:" + first)(gr) {
		t.Errorf("the pinned commit moved: %+v", gr.Status.Artifact)
	}
}
