package notifier

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/ferrycd/ferry/internal/events"
)

func opsgenieTestOptions(address string) Options {
	return Options{Type: "opsgenie", Address: address + "/v2/alerts", Token: csTestToken}
}

func TestOpsgeniePostsAlert(t *testing.T) {
	srv := csNewServer(t)
	n := csMustNew(t, opsgenieTestOptions(srv.URL))
	e := csTestEvent(events.SeverityError, "HealthCheckFailed", "Deployment/apps/web not ready", map[string]string{
		events.MetaRevision: "main@sha1:" + csTestSHA,
	})
	if err := n.Post(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	req := srv.only(t)
	if req.Method != "POST" || req.Path != "/v2/alerts" {
		t.Errorf("request = %s %s, want POST /v2/alerts", req.Method, req.Path)
	}
	if got := req.Header.Get("Authorization"); got != "GenieKey "+csTestToken {
		t.Errorf("Authorization = %q", got)
	}
	var body struct {
		Message     string            `json:"message"`
		Description string            `json:"description"`
		Tags        []string          `json:"tags"`
		Details     map[string]string `json:"details"`
	}
	csDecode(t, req.Body, &body)
	if body.Message != "Kustomization/apps.flux-system" {
		t.Errorf("message = %q", body.Message)
	}
	if body.Description != "Deployment/apps/web not ready" {
		t.Errorf("description = %q", body.Description)
	}
	if want := []string{"flux", "Kustomization", "error", "HealthCheckFailed"}; !slices.Equal(body.Tags, want) {
		t.Errorf("tags = %q, want %q", body.Tags, want)
	}
	want := map[string]string{"revision": "main@sha1:" + csTestSHA, "severity": "error", "reason": "HealthCheckFailed"}
	if len(body.Details) != len(want) {
		t.Errorf("details = %v, want %v", body.Details, want)
	}
	for k, v := range want {
		if body.Details[k] != v {
			t.Errorf("details[%s] = %q, want %q", k, body.Details[k], v)
		}
	}
	if _, ok := e.Metadata["severity"]; ok {
		t.Error("Post changed the event's metadata")
	}
}

func TestOpsgenieLimits(t *testing.T) {
	e := csTestEvent(events.SeverityInfo, "ReconciliationSucceeded", strings.Repeat("m", 20000), nil)
	e.InvolvedObject.Name = strings.Repeat("n", 200)
	a := newOpsgenieAlert(e)
	if n := len([]rune(a.Message)); n > 130 {
		t.Errorf("message has %d characters, Opsgenie takes 130", n)
	}
	if n := len([]rune(a.Description)); n > 15000 {
		t.Errorf("description has %d characters, Opsgenie takes 15000", n)
	}
}

func TestOpsgenieDefaultAddress(t *testing.T) {
	n := csMustNew(t, Options{Type: "opsgenie", Token: csTestToken})
	if got := n.(*opsgenie).address; got != "https://api.opsgenie.com/v2/alerts" {
		t.Errorf("address = %q", got)
	}
}

func TestOpsgenieAnswers(t *testing.T) {
	csCheckAnswers(t, opsgenieTestOptions, csTestEvent(events.SeverityError, "Failed", "x", nil))
}

func TestOpsgenieOptionErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		o    Options
		want string
	}{
		"no token":    {Options{Type: "opsgenie"}, "needs the API integration's key"},
		"bad address": {Options{Type: "opsgenie", Address: "api.opsgenie.com/v2/alerts", Token: csTestToken}, "not a valid http(s) URL"},
	} {
		_, err := New(tc.o)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", name, err, tc.want)
		}
		csNoSecret(t, err, tc.o)
	}
}
