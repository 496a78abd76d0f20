package notifier

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/ferrycd/ferry/internal/events"
)

func gitLabTestOptions(address string) Options {
	return Options{Type: "gitlab", Address: address + "/group/sub/project.git", Token: csTestToken, ProviderUID: csTestUID}
}

func gitLabTestEvent(severity, reason string) Event {
	return csTestEvent(severity, reason, "Applied revision: main@sha1:"+csTestSHA, map[string]string{
		events.MetaRevision: "main@sha1:" + csTestSHA,
	})
}

func TestGitLabPostsCommitStatus(t *testing.T) {
	for severity, state := range map[string]string{events.SeverityInfo: "success", events.SeverityError: "failed"} {
		srv := csNewServer(t)
		n := csMustNew(t, gitLabTestOptions(srv.URL))
		if err := n.Post(context.Background(), gitLabTestEvent(severity, "ReconciliationSucceeded")); err != nil {
			t.Fatal(err)
		}
		req := srv.only(t)
		if want := "/api/v4/projects/group%2Fsub%2Fproject/statuses/" + csTestSHA; req.Method != "POST" || req.Path != want {
			t.Errorf("request = %s %s, want POST %s", req.Method, req.Path, want)
		}
		if got := req.Header.Get("PRIVATE-TOKEN"); got != csTestToken {
			t.Errorf("PRIVATE-TOKEN = %q", got)
		}
		var body map[string]string
		csDecode(t, req.Body, &body)
		want := map[string]string{"state": state, "name": csTestContext, "description": "Applied revision: main@sha1:" + csTestSHA}
		for k, v := range want {
			if body[k] != v {
				t.Errorf("%s: %s = %q, want %q", severity, k, body[k], v)
			}
		}
	}
}

func TestGitLabSkips(t *testing.T) {
	srv := csNewServer(t)
	n := csMustNew(t, gitLabTestOptions(srv.URL))
	for name, e := range map[string]Event{
		"no commit":   csTestEvent(events.SeverityInfo, "ReconciliationSucceeded", "ok", map[string]string{events.MetaRevision: "v1.2.3"}),
		"progressing": gitLabTestEvent(events.SeverityInfo, "Progressing"),
	} {
		if err := n.Post(context.Background(), e); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if got := srv.requests(); len(got) != 0 {
		t.Errorf("sent %d requests, want none", len(got))
	}
}

func TestGitLabDuplicateIsSuccess(t *testing.T) {
	srv := csNewServer(t)
	n := csMustNew(t, gitLabTestOptions(srv.URL))
	srv.respond(http.StatusBadRequest, `{"message":"Cannot transition status via :succeed from :success (Reason(s): Status cannot transition via \"succeed\")"}`)
	if err := n.Post(context.Background(), gitLabTestEvent(events.SeverityInfo, "ReconciliationSucceeded")); err != nil {
		t.Errorf("a status the commit already has: %v", err)
	}
	// A refused transition from another state is an error.
	srv.respond(http.StatusBadRequest, `{"message":"Cannot transition status via :drop from :canceled (Reason(s): Status cannot transition via \"drop\")"}`)
	err := n.Post(context.Background(), gitLabTestEvent(events.SeverityError, "HealthCheckFailed"))
	if err == nil || Retryable(err) {
		t.Errorf("refused transition: err = %v, want a permanent error", err)
	}
	csNoSecret(t, err, gitLabTestOptions(srv.URL))
}

func TestGitLabAnswers(t *testing.T) {
	csCheckAnswers(t, gitLabTestOptions, gitLabTestEvent(events.SeverityError, "HealthCheckFailed"))
}

func TestGitLabOptionErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		o    Options
		want string
	}{
		"no token":   {Options{Type: "gitlab", Address: "https://gitlab.com/group/project"}, "needs a token"},
		"no project": {Options{Type: "gitlab", Address: "https://gitlab.com/group", Token: csTestToken}, "repository's http(s) URL"},
		"not http":   {Options{Type: "gitlab", Address: "git@gitlab.com:group/project.git", Token: csTestToken}, "repository's http(s) URL"},
	} {
		_, err := New(tc.o)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", name, err, tc.want)
		}
		csNoSecret(t, err, tc.o)
	}
}
