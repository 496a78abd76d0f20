package notifier

import (
	"context"
	"strings"
	"testing"

	"github.com/ferrycd/ferry/internal/events"
)

func giteaTestOptions(address string) Options {
	return Options{Type: "gitea", Address: address + "/org/repo", Token: csTestToken, ProviderUID: csTestUID}
}

func TestGiteaPostsCommitStatus(t *testing.T) {
	rev := map[string]string{"commit": csTestSHA}
	for _, tc := range []struct {
		severity, reason, state string
	}{
		{events.SeverityInfo, "ReconciliationSucceeded", "success"},
		{events.SeverityError, "HealthCheckFailed", "failure"},
		{events.SeverityInfo, "Progressing", "pending"},
	} {
		srv := csNewServer(t)
		n := csMustNew(t, giteaTestOptions(srv.URL))
		if err := n.Post(context.Background(), csTestEvent(tc.severity, tc.reason, "apps "+tc.reason, rev)); err != nil {
			t.Fatal(err)
		}
		req := srv.only(t)
		if want := "/api/v1/repos/org/repo/statuses/" + csTestSHA; req.Method != "POST" || req.Path != want {
			t.Errorf("request = %s %s, want POST %s", req.Method, req.Path, want)
		}
		if got := req.Header.Get("Authorization"); got != "token "+csTestToken {
			t.Errorf("Authorization = %q", got)
		}
		var body map[string]string
		csDecode(t, req.Body, &body)
		want := map[string]string{"state": tc.state, "context": csTestContext, "description": "apps " + tc.reason}
		for k, v := range want {
			if body[k] != v {
				t.Errorf("%s: %s = %q, want %q", tc.reason, k, body[k], v)
			}
		}
	}
}

func TestGiteaSubPath(t *testing.T) {
	srv := csNewServer(t)
	o := giteaTestOptions(srv.URL + "/git")
	e := csTestEvent(events.SeverityInfo, "ReconciliationSucceeded", "ok", map[string]string{events.MetaRevision: csTestSHA})
	if err := csMustNew(t, o).Post(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	if got, want := srv.only(t).Path, "/git/api/v1/repos/org/repo/statuses/"+csTestSHA; got != want {
		t.Errorf("path = %s, want %s", got, want)
	}
}

func TestGiteaSkipsWithoutCommit(t *testing.T) {
	srv := csNewServer(t)
	if err := csMustNew(t, giteaTestOptions(srv.URL)).Post(context.Background(), csTestEvent(events.SeverityError, "Failed", "x", nil)); err != nil {
		t.Fatal(err)
	}
	if got := srv.requests(); len(got) != 0 {
		t.Errorf("sent %d requests, want none", len(got))
	}
}

func TestGiteaAnswers(t *testing.T) {
	csCheckAnswers(t, giteaTestOptions, csTestEvent(events.SeverityError, "Failed", "x", map[string]string{
		events.MetaRevision: "main@sha1:" + csTestSHA,
	}))
}

func TestGiteaOptionErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		o    Options
		want string
	}{
		"no token":   {Options{Type: "gitea", Address: "https://gitea.example.com/org/repo"}, "needs a token"},
		"no address": {Options{Type: "gitea", Token: csTestToken}, "needs the repository's URL"},
	} {
		_, err := New(tc.o)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", name, err, tc.want)
		}
		csNoSecret(t, err, tc.o)
	}
}
