package receiver_test

import (
	"net/http"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	notificationv1 "github.com/ferrycd/ferry/api/notification/v1"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/testenv"
)

// TestGitHubPush follows a GitHub push end to end: a signed call to the
// real listener requests a reconcile of the GitRepository, which fetches
// the new commit at once although its interval is an hour away.
func TestGitHubPush(t *testing.T) {
	ns := env.NewNamespace(t, "github")
	repo, err := env.Git.InitRepo("org/"+ns, "main")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := repo.CommitFiles("initial", map[string]string{"app.yaml": "a: 1\n"}); err != nil {
		t.Fatal(err)
	}
	first, _ := repo.Head()
	create(t, &sourcev1.GitRepository{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "app"},
		Spec: sourcev1.GitRepositorySpec{
			URL:       env.Git.RepoURL("org/" + ns),
			Interval:  metav1.Duration{Duration: time.Hour},
			Reference: &sourcev1.GitRepositoryRef{Branch: "main"},
		},
	})
	hasRevision := func(commit string) func(*sourcev1.GitRepository) bool {
		return func(g *sourcev1.GitRepository) bool {
			return g.Status.Artifact != nil && g.Status.Artifact.Revision == "main@sha1:"+commit
		}
	}
	testenv.WaitFor(t, env.Client, testenv.Key(ns, "app"), "the first commit's artifact", hasRevision(first))

	rcv := readyReceiver(t, newReceiver(ns, notificationv1.GitHubReceiver,
		[]notificationv1.CrossNamespaceObjectReference{ref("GitRepository", "app")},
		func(r *notificationv1.Receiver) { r.Spec.Events = []string{"push"} }))

	second, err := repo.CommitFiles("second", map[string]string{"app.yaml": "a: 2\n"})
	if err != nil {
		t.Fatal(err)
	}
	body := `{"ref":"refs/heads/main","after":"` + second + `"}`

	// Refused calls annotate nothing.
	bad := github(body, "push", "d-bad")
	bad[len(bad)-1] = "sha256=" + "00"
	code, answer := post(t, rcv.Status.WebhookPath, body, bad...)
	expect(t, "a wrong signature", http.StatusUnauthorized, code, answer)
	code, answer = post(t, rcv.Status.WebhookPath, body, "X-GitHub-Event", "push")
	expect(t, "no signature", http.StatusUnauthorized, code, answer)
	code, answer = post(t, rcv.Status.WebhookPath, body, github(body, "issues", "d-issues")...)
	expect(t, "an event not in spec.events", http.StatusBadRequest, code, answer)
	code, answer = post(t, rcv.Status.WebhookPath, `{"zen":"hi"}`, github(`{"zen":"hi"}`, "ping", "d-ping")...)
	expect(t, "a ping", http.StatusOK, code, answer)
	if v := repoRequestedAt(t, ns, "app"); v != "" {
		t.Fatalf("refused calls and a ping requested a reconcile: %q", v)
	}

	// A signed push requests a reconcile, and the new commit is fetched.
	code, answer = post(t, rcv.Status.WebhookPath, body, github(body, "push", "d-1")...)
	expect(t, "a signed push", http.StatusOK, code, answer)
	requested := repoRequestedAt(t, ns, "app")
	if _, err := time.Parse(time.RFC3339Nano, requested); err != nil {
		t.Fatalf("requestedAt = %q, not an RFC 3339 time: %v", requested, err)
	}
	g := testenv.WaitFor(t, env.Client, testenv.Key(ns, "app"), "the pushed commit's artifact", hasRevision(second))
	if g.Status.LastHandledReconcileAt != requested {
		t.Errorf("lastHandledReconcileAt = %q, want the webhook's request %q", g.Status.LastHandledReconcileAt, requested)
	}

	// GitHub redelivering the same delivery reconciles nothing again.
	code, answer = post(t, rcv.Status.WebhookPath, body, github(body, "push", "d-1")...)
	expect(t, "a replayed delivery", http.StatusOK, code, answer)
	if v := repoRequestedAt(t, ns, "app"); v != requested {
		t.Errorf("a replayed delivery requested another reconcile: %q, was %q", v, requested)
	}
	// A new delivery does.
	code, answer = post(t, rcv.Status.WebhookPath, body, github(body, "push", "d-2")...)
	expect(t, "a new delivery", http.StatusOK, code, answer)
	if v := repoRequestedAt(t, ns, "app"); v == requested {
		t.Error("a new delivery requested no reconcile")
	}
}

// TestGitHubEventsUnfiltered checks that without spec.events every signed
// event is handled.
func TestGitHubEventsUnfiltered(t *testing.T) {
	ns := env.NewNamespace(t, "github-any")
	suspendedRepo(t, ns, "app", nil)
	rcv := readyReceiver(t, newReceiver(ns, notificationv1.GitHubReceiver,
		[]notificationv1.CrossNamespaceObjectReference{ref("GitRepository", "app")}))
	code, answer := post(t, rcv.Status.WebhookPath, `{}`, github(`{}`, "release", "r-1")...)
	expect(t, "a release event", http.StatusOK, code, answer)
	if repoRequestedAt(t, ns, "app") == "" {
		t.Error("the release event requested no reconcile")
	}
}
