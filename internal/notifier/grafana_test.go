package notifier

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/ferrycd/ferry/internal/events"
)

func grafanaTestOptions(address string) Options {
	return Options{Type: "grafana", Address: address + "/api/annotations", Token: csTestToken}
}

func TestGrafanaPostsAnnotation(t *testing.T) {
	srv := csNewServer(t)
	n := csMustNew(t, grafanaTestOptions(srv.URL))
	e := csTestEvent(events.SeverityInfo, "ReconciliationSucceeded", "Applied revision: main@sha1:"+csTestSHA, map[string]string{
		events.MetaRevision: "main@sha1:" + csTestSHA,
		"env":               "prod",
	})
	if err := n.Post(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	req := srv.only(t)
	if req.Method != "POST" || req.Path != "/api/annotations" {
		t.Errorf("request = %s %s, want POST /api/annotations", req.Method, req.Path)
	}
	if got := req.Header.Get("Authorization"); got != "Bearer "+csTestToken {
		t.Errorf("Authorization = %q", got)
	}
	var body struct {
		Time int64    `json:"time"`
		Text string   `json:"text"`
		Tags []string `json:"tags"`
	}
	csDecode(t, req.Body, &body)
	if want := e.Timestamp.UnixMilli(); body.Time != want {
		t.Errorf("time = %d, want %d (milliseconds)", body.Time, want)
	}
	if body.Text != "Kustomization/apps.flux-system: Applied revision: main@sha1:"+csTestSHA {
		t.Errorf("text = %q", body.Text)
	}
	want := []string{
		"flux", "kustomize-controller",
		"kind:Kustomization", "name:apps", "namespace:flux-system", "reason:ReconciliationSucceeded",
		"env:prod", "revision:main@sha1|" + csTestSHA,
	}
	if !slices.Equal(body.Tags, want) {
		t.Errorf("tags = %q\nwant %q", body.Tags, want)
	}
}

func TestGrafanaBasicAuth(t *testing.T) {
	srv := csNewServer(t)
	o := Options{Type: "grafana", Address: srv.URL + "/api/annotations", Username: "admin", Password: "gr4fana-pass"}
	if err := csMustNew(t, o).Post(context.Background(), csTestEvent(events.SeverityError, "Failed", "x", nil)); err != nil {
		t.Fatal(err)
	}
	if got, want := srv.only(t).Header.Get("Authorization"), csBasicAuth("admin", "gr4fana-pass"); got != want {
		t.Errorf("Authorization = %q, want %q", got, want)
	}
}

func TestGrafanaAnswers(t *testing.T) {
	csCheckAnswers(t, grafanaTestOptions, csTestEvent(events.SeverityError, "Failed", "x", nil))
}

func TestGrafanaOptionErrors(t *testing.T) {
	o := Options{Type: "grafana", Address: "grafana/api/annotations", Token: csTestToken}
	_, err := New(o)
	if err == nil || !strings.Contains(err.Error(), "not a valid http(s) URL") {
		t.Errorf("bad address: err = %v", err)
	}
	csNoSecret(t, err, o)
}
