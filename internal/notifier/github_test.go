package notifier

import (
	"context"
	"strings"
	"testing"

	"github.com/ferrycd/ferry/internal/events"
)

func gitHubTestOptions(address string) Options {
	return Options{Type: "github", Address: address + "/org/repo", Token: csTestToken, ProviderUID: csTestUID}
}

func TestGitHubPostsCommitStatus(t *testing.T) {
	srv := csNewServer(t)
	n := csMustNew(t, gitHubTestOptions(srv.URL))
	e := csTestEvent(events.SeverityError, "HealthCheckFailed", "Deployment/apps/web not ready", map[string]string{
		events.MetaRevision: "main@sha1:" + csTestSHA,
	})
	if err := n.Post(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	req := srv.only(t)
	if req.Method != "POST" || req.Path != "/api/v3/repos/org/repo/statuses/"+csTestSHA {
		t.Errorf("request = %s %s, want POST /api/v3/repos/org/repo/statuses/<sha>", req.Method, req.Path)
	}
	if got := req.Header.Get("Authorization"); got != "Bearer "+csTestToken {
		t.Errorf("Authorization = %q", got)
	}
	if got := req.Header.Get("Accept"); got != "application/vnd.github+json" {
		t.Errorf("Accept = %q", got)
	}
	if got := req.Header.Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type = %q", got)
	}
	var body map[string]string
	csDecode(t, req.Body, &body)
	want := map[string]string{"state": "failure", "context": csTestContext, "description": "Deployment/apps/web not ready"}
	for k, v := range want {
		if body[k] != v {
			t.Errorf("%s = %q, want %q", k, body[k], v)
		}
	}
}

func TestGitHubSuccessWithCommitStatusExpr(t *testing.T) {
	srv := csNewServer(t)
	o := gitHubTestOptions(srv.URL)
	o.CommitStatus = strings.Repeat("ready ", 40)
	e := csTestEvent(events.SeverityInfo, "ReconciliationSucceeded", "Applied revision", map[string]string{
		events.MetaOriginRevision: "main@sha1:" + csTestSHA,
	})
	if err := csMustNew(t, o).Post(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	var body map[string]string
	csDecode(t, srv.only(t).Body, &body)
	if body["state"] != "success" {
		t.Errorf("state = %q, want success", body["state"])
	}
	if d := body["description"]; len([]rune(d)) > 140 || !strings.HasPrefix(d, "ready ready") {
		t.Errorf("description = %q (%d runes), want the expression's result within 140", d, len([]rune(d)))
	}
}

func TestGitHubSkips(t *testing.T) {
	srv := csNewServer(t)
	n := csMustNew(t, gitHubTestOptions(srv.URL))
	for name, e := range map[string]Event{
		"no commit":   csTestEvent(events.SeverityError, "HealthCheckFailed", "failed", nil),
		"progressing": csTestEvent(events.SeverityInfo, "Progressing", "applying", map[string]string{events.MetaRevision: "main@sha1:" + csTestSHA}),
	} {
		if err := n.Post(context.Background(), e); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if got := srv.requests(); len(got) != 0 {
		t.Errorf("sent %d requests, want none", len(got))
	}
}

func TestGitHubAPIBase(t *testing.T) {
	for address, want := range map[string]string{
		"https://github.com/org/repo.git":        "https://api.github.com/repos/org/repo/statuses/",
		"https://ghe.example.com/org/repo":       "https://ghe.example.com/api/v3/repos/org/repo/statuses/",
		"https://ghe.example.com:8443/org/repo/": "https://ghe.example.com:8443/api/v3/repos/org/repo/statuses/",
	} {
		n := csMustNew(t, Options{Type: "github", Address: address, Token: csTestToken})
		if got := n.(*gitHub).statuses; got != want {
			t.Errorf("%s: statuses = %q, want %q", address, got, want)
		}
	}
}

func TestGitHubAnswers(t *testing.T) {
	csCheckAnswers(t, gitHubTestOptions, csTestEvent(events.SeverityError, "Failed", "x", map[string]string{
		events.MetaRevision: "main@sha1:" + csTestSHA,
	}))
}

func TestGitHubOptionErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		o    Options
		want string
	}{
		"no token":      {Options{Type: "github", Address: "https://github.com/org/repo"}, "needs a token"},
		"no repository": {Options{Type: "github", Address: "https://github.com/org", Token: csTestToken}, "repository's http(s) URL"},
		"too deep":      {Options{Type: "github", Address: "https://github.com/org/repo/tree", Token: csTestToken}, "one repository"},
	} {
		_, err := New(tc.o)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", name, err, tc.want)
		}
		csNoSecret(t, err, tc.o)
	}
}
