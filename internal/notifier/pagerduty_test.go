package notifier

import (
	"context"
	"strings"
	"testing"

	"github.com/ferrycd/ferry/internal/events"
)

const pagerDutyTestRoutingKey = "R0UT1NGKEY0123456789abcdef012345"

func pagerDutyTestOptions(address string) Options {
	return Options{Type: "pagerduty", Address: address, Channel: pagerDutyTestRoutingKey}
}

type pagerDutyTestBody struct {
	RoutingKey  string `json:"routing_key"`
	EventAction string `json:"event_action"`
	DedupKey    string `json:"dedup_key"`
	Payload     *struct {
		Summary       string         `json:"summary"`
		Source        string         `json:"source"`
		Severity      string         `json:"severity"`
		Timestamp     string         `json:"timestamp"`
		Component     string         `json:"component"`
		Group         string         `json:"group"`
		Class         string         `json:"class"`
		CustomDetails map[string]any `json:"custom_details"`
	} `json:"payload"`
}

func TestPagerDutyTriggersAndResolves(t *testing.T) {
	srv := csNewServer(t)
	n := csMustNew(t, pagerDutyTestOptions(srv.URL))
	rev := map[string]string{events.MetaRevision: "main@sha1:" + csTestSHA}

	// Trigger an incident for a failure.
	if err := n.Post(context.Background(), csTestEvent(events.SeverityError, "HealthCheckFailed", "Deployment/apps/web\nnot ready", rev)); err != nil {
		t.Fatal(err)
	}
	req := srv.only(t)
	if req.Method != "POST" || req.Path != "/v2/enqueue" {
		t.Errorf("request = %s %s, want POST /v2/enqueue", req.Method, req.Path)
	}
	var trigger pagerDutyTestBody
	csDecode(t, req.Body, &trigger)
	if trigger.RoutingKey != pagerDutyTestRoutingKey || trigger.EventAction != "trigger" {
		t.Errorf("routing_key = %q, event_action = %q", trigger.RoutingKey, trigger.EventAction)
	}
	if trigger.DedupKey != "Kustomization/flux-system/apps" {
		t.Errorf("dedup_key = %q", trigger.DedupKey)
	}
	p := trigger.Payload
	if p == nil {
		t.Fatal("no payload")
	}
	if p.Summary != "Kustomization/apps.flux-system: Deployment/apps/web not ready" || p.Source != "kustomize-controller" || p.Severity != "error" {
		t.Errorf("summary = %q, source = %q, severity = %q", p.Summary, p.Source, p.Severity)
	}
	if p.Timestamp != "2025-03-04T05:06:07Z" || p.Component != "apps" || p.Group != "Kustomization" || p.Class != "HealthCheckFailed" {
		t.Errorf("timestamp = %q, component = %q, group = %q, class = %q", p.Timestamp, p.Component, p.Group, p.Class)
	}
	if p.CustomDetails["message"] != "Deployment/apps/web\nnot ready" || p.CustomDetails["namespace"] != "flux-system" {
		t.Errorf("custom_details = %v", p.CustomDetails)
	}
	if md, _ := p.CustomDetails["metadata"].(map[string]any); md["revision"] != "main@sha1:"+csTestSHA {
		t.Errorf("custom_details.metadata = %v", p.CustomDetails["metadata"])
	}

	// Resolve it when the object is Ready again.
	if err := n.Post(context.Background(), csTestEvent(events.SeverityInfo, "ReconciliationSucceeded", "Applied revision", rev)); err != nil {
		t.Fatal(err)
	}
	got := srv.requests()
	if len(got) != 2 {
		t.Fatalf("%d requests, want 2", len(got))
	}
	var resolve pagerDutyTestBody
	csDecode(t, got[1].Body, &resolve)
	if resolve.EventAction != "resolve" || resolve.DedupKey != trigger.DedupKey || resolve.RoutingKey != pagerDutyTestRoutingKey || resolve.Payload != nil {
		t.Errorf("resolve = %+v, want the trigger's dedup_key and no payload", resolve)
	}
}

func TestPagerDutySendsNothingElse(t *testing.T) {
	srv := csNewServer(t)
	n := csMustNew(t, pagerDutyTestOptions(srv.URL))
	for _, e := range []Event{
		csTestEvent(events.SeverityInfo, "Progressing", "applying", nil),
		csTestEvent(events.SeverityInfo, "DependencyNotReady", "waiting", nil),
		csTestEvent(events.SeverityTrace, "ReconciliationSucceeded", "trace", nil),
	} {
		if err := n.Post(context.Background(), e); err != nil {
			t.Errorf("%s: %v", e.Reason, err)
		}
	}
	if got := srv.requests(); len(got) != 0 {
		t.Errorf("sent %d requests, want none", len(got))
	}
}

func TestPagerDutyAddress(t *testing.T) {
	for address, want := range map[string]string{
		"":                                 "https://events.pagerduty.com/v2/enqueue",
		"https://events.eu.pagerduty.com/": "https://events.eu.pagerduty.com/v2/enqueue",
		"https://events.pagerduty.com/v2/enqueue": "https://events.pagerduty.com/v2/enqueue",
	} {
		n := csMustNew(t, Options{Type: "pagerduty", Address: address, Channel: pagerDutyTestRoutingKey})
		if got := n.(*pagerDuty).address; got != want {
			t.Errorf("%q: address = %q, want %q", address, got, want)
		}
	}
}

func TestPagerDutyLongDedupKey(t *testing.T) {
	e := csTestEvent(events.SeverityError, "Failed", "x", nil)
	e.InvolvedObject.Name = strings.Repeat("n", 253)
	if k := pagerDutyDedupKey(e); len(k) > 255 || k != pagerDutyDedupKey(e) {
		t.Errorf("dedup_key = %q (%d characters)", k, len(k))
	}
}

func TestPagerDutyAnswers(t *testing.T) {
	csCheckAnswers(t, pagerDutyTestOptions, csTestEvent(events.SeverityError, "Failed", "x", nil))
}

func TestPagerDutyOptionErrors(t *testing.T) {
	_, err := New(Options{Type: "pagerduty"})
	if err == nil || !strings.Contains(err.Error(), "routing key in spec.channel") {
		t.Errorf("no routing key: err = %v", err)
	}
	o := Options{Type: "pagerduty", Address: "events.pagerduty.com", Channel: pagerDutyTestRoutingKey}
	_, err = New(o)
	if err == nil || !strings.Contains(err.Error(), "not a valid http(s) URL") {
		t.Errorf("bad address: err = %v", err)
	}
	csNoSecret(t, err, o)
}
