package notifier

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"

	"github.com/ferrycd/ferry/internal/events"
)

const bitbucketTestPassword = "app-pass-9d8c7b6a"

func bitbucketTestOptions(address string) Options {
	return Options{Type: "bitbucket", Address: address + "/workspace/repo", Token: "bot:" + bitbucketTestPassword, ProviderUID: csTestUID}
}

func TestBitbucketPostsBuildStatus(t *testing.T) {
	rev := map[string]string{events.MetaRevision: "main@sha1:" + csTestSHA}
	sum := sha1.Sum([]byte(csTestContext))
	key := hex.EncodeToString(sum[:])
	for _, tc := range []struct {
		severity, reason, state string
	}{
		{events.SeverityInfo, "ReconciliationSucceeded", "SUCCESSFUL"},
		{events.SeverityError, "HealthCheckFailed", "FAILED"},
		{events.SeverityInfo, "Progressing", "INPROGRESS"},
	} {
		srv := csNewServer(t)
		n := csMustNew(t, bitbucketTestOptions(srv.URL))
		if err := n.Post(context.Background(), csTestEvent(tc.severity, tc.reason, "apps "+tc.reason, rev)); err != nil {
			t.Fatal(err)
		}
		req := srv.only(t)
		if want := "/2.0/repositories/workspace/repo/commit/" + csTestSHA + "/statuses/build"; req.Method != "POST" || req.Path != want {
			t.Errorf("request = %s %s, want POST %s", req.Method, req.Path, want)
		}
		r, _ := http.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", req.Header.Get("Authorization"))
		if user, pass, ok := r.BasicAuth(); !ok || user != "bot" || pass != bitbucketTestPassword {
			t.Errorf("basic auth = %q, %q, %v", user, pass, ok)
		}
		var body map[string]string
		csDecode(t, req.Body, &body)
		want := map[string]string{
			"state":       tc.state,
			"key":         key,
			"name":        csTestContext,
			"description": "apps " + tc.reason,
			"url":         srv.URL + "/workspace/repo/commits/" + csTestSHA,
		}
		for k, v := range want {
			if body[k] != v {
				t.Errorf("%s: %s = %q, want %q", tc.reason, k, body[k], v)
			}
		}
		if len(body["key"]) > 40 {
			t.Errorf("key has %d characters, Bitbucket takes 40", len(body["key"]))
		}
	}
}

func TestBitbucketUsernameAndPassword(t *testing.T) {
	srv := csNewServer(t)
	o := Options{Type: "bitbucket", Address: srv.URL + "/workspace/repo", Username: "bot", Password: bitbucketTestPassword}
	e := csTestEvent(events.SeverityInfo, "ReconciliationSucceeded", "ok", map[string]string{events.MetaRevision: csTestSHA})
	if err := csMustNew(t, o).Post(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	if got, want := srv.only(t).Header.Get("Authorization"), csBasicAuth("bot", bitbucketTestPassword); got != want {
		t.Errorf("Authorization = %q, want %q", got, want)
	}
}

func TestBitbucketAPIBase(t *testing.T) {
	n := csMustNew(t, Options{Type: "bitbucket", Address: "https://bitbucket.org/workspace/repo.git", Token: "bot:" + bitbucketTestPassword})
	b := n.(*bitbucket)
	if want := "https://api.bitbucket.org/2.0/repositories/workspace/repo/commit/"; b.commits != want {
		t.Errorf("commits = %q, want %q", b.commits, want)
	}
	if want := "https://bitbucket.org/workspace/repo"; b.web != want {
		t.Errorf("web = %q, want %q", b.web, want)
	}
}

func TestBitbucketSkipsWithoutCommit(t *testing.T) {
	srv := csNewServer(t)
	if err := csMustNew(t, bitbucketTestOptions(srv.URL)).Post(context.Background(), csTestEvent(events.SeverityError, "Failed", "x", nil)); err != nil {
		t.Fatal(err)
	}
	if got := srv.requests(); len(got) != 0 {
		t.Errorf("sent %d requests, want none", len(got))
	}
}

func TestBitbucketAnswers(t *testing.T) {
	csCheckAnswers(t, bitbucketTestOptions, csTestEvent(events.SeverityError, "Failed", "x", map[string]string{
		events.MetaRevision: "main@sha1:" + csTestSHA,
	}))
}

func TestBitbucketOptionErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		o    Options
		want string
	}{
		"no credentials":     {Options{Type: "bitbucket", Address: "https://bitbucket.org/workspace/repo"}, "needs credentials"},
		"token without user": {Options{Type: "bitbucket", Address: "https://bitbucket.org/workspace/repo", Token: bitbucketTestPassword}, "needs credentials"},
		"half a token":       {Options{Type: "bitbucket", Address: "https://bitbucket.org/workspace/repo", Token: "bot:"}, "needs credentials"},
		"too deep":           {Options{Type: "bitbucket", Address: "https://bitbucket.org/workspace/repo/src", Token: "bot:" + bitbucketTestPassword}, "one repository"},
	} {
		_, err := New(tc.o)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", name, err, tc.want)
		}
		csNoSecret(t, err, tc.o)
	}
}
