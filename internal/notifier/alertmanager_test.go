package notifier

import (
	"context"
	"strings"
	"testing"

	"github.com/ferrycd/ferry/internal/events"
)

func alertmanagerTestOptions(address string) Options {
	return Options{Type: "alertmanager", Address: address + "/api/v2/alerts", Token: csTestToken}
}

type alertmanagerTestAlert struct {
	Status      string            `json:"status"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	StartsAt    string            `json:"startsAt"`
}

func TestAlertmanagerPostsAlert(t *testing.T) {
	srv := csNewServer(t)
	n := csMustNew(t, alertmanagerTestOptions(srv.URL))
	e := csTestEvent(events.SeverityError, "HealthCheckFailed", "Deployment/apps/web not ready", map[string]string{
		events.MetaRevision: "main@sha1:" + csTestSHA,
		"summary":           "apps in production",
		"env.name":          "prod",
	})
	if err := n.Post(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	req := srv.only(t)
	if req.Method != "POST" || req.Path != "/api/v2/alerts" {
		t.Errorf("request = %s %s, want POST /api/v2/alerts", req.Method, req.Path)
	}
	if got := req.Header.Get("Authorization"); got != "Bearer "+csTestToken {
		t.Errorf("Authorization = %q", got)
	}
	var alerts []alertmanagerTestAlert
	csDecode(t, req.Body, &alerts)
	if len(alerts) != 1 {
		t.Fatalf("%d alerts, want 1", len(alerts))
	}
	a := alerts[0]
	if a.Status != "firing" || a.StartsAt != "2025-03-04T05:06:07Z" {
		t.Errorf("status = %q, startsAt = %q", a.Status, a.StartsAt)
	}
	wantLabels := map[string]string{
		"alertname":           "FluxKustomizationHealthcheckfailed",
		"severity":            "error",
		"reason":              "HealthCheckFailed",
		"kind":                "Kustomization",
		"name":                "apps",
		"namespace":           "flux-system",
		"reportingcontroller": "kustomize-controller",
		"revision":            "main@sha1:" + csTestSHA,
		"env_name":            "prod",
	}
	if len(a.Labels) != len(wantLabels) {
		t.Errorf("labels = %v, want %v", a.Labels, wantLabels)
	}
	for k, v := range wantLabels {
		if a.Labels[k] != v {
			t.Errorf("labels[%s] = %q, want %q", k, a.Labels[k], v)
		}
	}
	if a.Annotations["message"] != "Deployment/apps/web not ready" || a.Annotations["summary"] != "apps in production" {
		t.Errorf("annotations = %v", a.Annotations)
	}
}

func TestAlertmanagerSummaryWithoutMetadata(t *testing.T) {
	a := newAlertmanagerAlert(csTestEvent(events.SeverityInfo, "ReconciliationSucceeded", "Applied", nil))
	if a.Annotations["summary"] != "Kustomization/apps.flux-system ReconciliationSucceeded" {
		t.Errorf("summary = %q", a.Annotations["summary"])
	}
	if a.Labels["alertname"] != "FluxKustomizationReconciliationsucceeded" {
		t.Errorf("alertname = %q", a.Labels["alertname"])
	}
}

func TestAlertmanagerBasicAuth(t *testing.T) {
	srv := csNewServer(t)
	o := Options{Type: "alertmanager", Address: srv.URL + "/api/v2/alerts", Username: "flux", Password: "pa55-w0rd-x"}
	if err := csMustNew(t, o).Post(context.Background(), csTestEvent(events.SeverityError, "Failed", "x", nil)); err != nil {
		t.Fatal(err)
	}
	if got, want := srv.only(t).Header.Get("Authorization"), csBasicAuth("flux", "pa55-w0rd-x"); got != want {
		t.Errorf("Authorization = %q, want %q", got, want)
	}
}

func TestAlertmanagerLabelName(t *testing.T) {
	for in, want := range map[string]string{
		"revision":       "revision",
		"originRevision": "originRevision",
		"commit_status":  "commit_status",
		"app.kubernetes": "app_kubernetes",
		"9lives":         "_9lives",
		"a-b/c":          "a_b_c",
	} {
		if got := alertmanagerLabelName(in); got != want {
			t.Errorf("alertmanagerLabelName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAlertmanagerAnswers(t *testing.T) {
	csCheckAnswers(t, alertmanagerTestOptions, csTestEvent(events.SeverityError, "Failed", "x", nil))
}

func TestAlertmanagerOptionErrors(t *testing.T) {
	for name, o := range map[string]Options{
		"no address":  {Type: "alertmanager", Token: csTestToken},
		"bad address": {Type: "alertmanager", Address: "alertmanager:9093/api/v2/alerts", Token: csTestToken},
	} {
		_, err := New(o)
		if err == nil || !strings.Contains(err.Error(), "address") {
			t.Errorf("%s: err = %v", name, err)
		}
		csNoSecret(t, err, o)
	}
}
