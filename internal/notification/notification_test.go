package notification

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ferrycd/ferry/api/meta"
	notificationv1 "github.com/ferrycd/ferry/api/notification/v1"
	notificationv1beta3 "github.com/ferrycd/ferry/api/notification/v1beta3"
	"github.com/ferrycd/ferry/internal/events"
	"github.com/ferrycd/ferry/internal/notifier"
)

func event(kind, ns, name, severity, msg string) events.Event {
	return events.Event{
		InvolvedObject: corev1.ObjectReference{APIVersion: "kustomize.toolkit.fluxcd.io/v1", Kind: kind, Namespace: ns, Name: name},
		Severity:       severity,
		Message:        msg,
		Reason:         "ReconciliationSucceeded",
		Metadata:       map[string]string{events.MetaRevision: "main@sha1:abc", events.MetaDigest: "sha256:d"},
	}
}

func alert(ns string, severity string, sources ...notificationv1.CrossNamespaceObjectReference) *notificationv1beta3.Alert {
	return &notificationv1beta3.Alert{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "a"},
		Spec: notificationv1beta3.AlertSpec{
			ProviderRef:   meta.LocalObjectReference{Name: "p"},
			EventSeverity: severity,
			EventSources:  sources,
		},
	}
}

func src(kind, name, ns string, labels map[string]string) notificationv1.CrossNamespaceObjectReference {
	return notificationv1.CrossNamespaceObjectReference{Kind: kind, Name: name, Namespace: ns, MatchLabels: labels}
}

func TestMatches(t *testing.T) {
	info := event("Kustomization", "apps", "web", events.SeverityInfo, "Reconciliation finished")
	failed := event("Kustomization", "apps", "web", events.SeverityError, "health check failed")
	labelled := &objectMeta{labels: map[string]string{"team": "a"}}
	for _, tc := range []struct {
		name  string
		alert *notificationv1beta3.Alert
		e     events.Event
		meta  *objectMeta
		want  bool
	}{
		{"by name", alert("apps", "info", src("Kustomization", "web", "", nil)), info, nil, true},
		{"kind case-insensitive", alert("apps", "info", src("kustomization", "web", "", nil)), info, nil, true},
		{"other name", alert("apps", "info", src("Kustomization", "api", "", nil)), info, nil, false},
		{"other kind", alert("apps", "info", src("GitRepository", "*", "", nil)), info, nil, false},
		{"wildcard", alert("apps", "info", src("Kustomization", "*", "", nil)), info, nil, true},
		{"namespace defaults to the Alert's", alert("other", "info", src("Kustomization", "*", "", nil)), info, nil, false},
		{"explicit namespace", alert("other", "info", src("Kustomization", "*", "apps", nil)), info, nil, true},
		{"error alert skips info", alert("apps", "error", src("Kustomization", "*", "", nil)), info, nil, false},
		{"error alert takes error", alert("apps", "error", src("Kustomization", "*", "", nil)), failed, nil, true},
		{"info alert takes error", alert("apps", "info", src("Kustomization", "*", "", nil)), failed, nil, true},
		{"labels match", alert("apps", "info", src("Kustomization", "*", "", map[string]string{"team": "a"})), info, labelled, true},
		{"labels differ", alert("apps", "info", src("Kustomization", "*", "", map[string]string{"team": "b"})), info, labelled, false},
		{"labels unknown", alert("apps", "info", src("Kustomization", "*", "", map[string]string{"team": "a"})), info, nil, false},
		{"trace never", alert("apps", "info", src("Kustomization", "*", "", nil)), event("Kustomization", "apps", "web", events.SeverityTrace, "x"), nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := compileFilters(tc.alert)
			if err != nil {
				t.Fatal(err)
			}
			if got := matches(tc.alert, f, &tc.e, tc.meta); got != tc.want {
				t.Errorf("matches = %v, want %v", got, tc.want)
			}
		})
	}

	suspended := alert("apps", "info", src("Kustomization", "*", "", nil))
	suspended.Spec.Suspend = true
	f, _ := compileFilters(suspended)
	if matches(suspended, f, &info, nil) {
		t.Error("a suspended Alert matched")
	}
}

func TestInclusionExclusion(t *testing.T) {
	a := alert("apps", "info", src("Kustomization", "*", "", nil))
	a.Spec.InclusionList = []string{".*succeeded.*", "^Reconciliation"}
	a.Spec.ExclusionList = []string{"no changes"}
	f, err := compileFilters(a)
	if err != nil {
		t.Fatal(err)
	}
	for msg, want := range map[string]bool{
		"Reconciliation finished":       true,
		"upgrade succeeded":             true,
		"upgrade succeeded, no changes": false,
		"health check failed":           false,
	} {
		e := event("Kustomization", "apps", "web", events.SeverityInfo, msg)
		if got := matches(a, f, &e, nil); got != want {
			t.Errorf("%q: matches = %v, want %v", msg, got, want)
		}
	}
	a.Spec.ExclusionList = []string{"("}
	if err := ValidateAlert(a); err == nil || !strings.Contains(err.Error(), "exclusionList[0]") {
		t.Errorf("ValidateAlert = %v, want the bad exclusionList entry named", err)
	}
	a.Spec.ExclusionList = nil
	a.Spec.EventSources = append(a.Spec.EventSources, src("Kustomization", "web", "", map[string]string{"a": "b"}))
	if err := ValidateAlert(a); err == nil || !strings.Contains(err.Error(), "matchLabels") {
		t.Errorf("ValidateAlert = %v, want matchLabels refused without '*'", err)
	}
}

func TestEnrich(t *testing.T) {
	a := alert("apps", "info")
	a.Spec.Summary = "prod cluster"
	a.Spec.EventMetadata = map[string]string{"env": "prod", "revision": "not this"}
	e := enrich(a, event("Kustomization", "apps", "web", events.SeverityInfo, "m"))
	want := map[string]string{"revision": "main@sha1:abc", "summary": "prod cluster", "env": "prod"}
	if len(e.Metadata) != len(want) {
		t.Fatalf("metadata = %v, want %v", e.Metadata, want)
	}
	for k, v := range want {
		if e.Metadata[k] != v {
			t.Errorf("metadata[%s] = %q, want %q (all: %v)", k, e.Metadata[k], v, e.Metadata)
		}
	}
}

func TestLimiter(t *testing.T) {
	l := newLimiter(5 * time.Minute)
	now := time.Unix(1000, 0)
	l.now = func() time.Time { return now }
	e := event("Kustomization", "apps", "web", events.SeverityError, "health check failed")
	if !l.allow(&e) {
		t.Fatal("first event suppressed")
	}
	if l.allow(&e) {
		t.Error("identical event within the interval allowed")
	}
	other := e
	other.Metadata = map[string]string{events.MetaRevision: "main@sha1:def"}
	if !l.allow(&other) {
		t.Error("same message at another revision suppressed")
	}
	now = now.Add(5 * time.Minute)
	if !l.allow(&e) {
		t.Error("identical event after the interval suppressed")
	}
	if !newLimiter(-1).allow(&e) || !newLimiter(-1).allow(&e) {
		t.Error("a negative interval suppressed an event")
	}
}

func TestPrefixed(t *testing.T) {
	e := Prefixed(event("Kustomization", "apps", "web", events.SeverityInfo, "m"))
	if e.Metadata["kustomize.toolkit.fluxcd.io/revision"] != "main@sha1:abc" || len(e.Metadata) != 2 {
		t.Errorf("metadata = %v", e.Metadata)
	}
}

func TestRedact(t *testing.T) {
	o := notifier.Options{Address: "https://hooks.slack.com/services/T000/B000/XXXXSECRET", Token: "tok-12345", Headers: map[string]string{"Authorization": "Bearer hdr-secret"}}
	msg := "posting https://hooks.slack.com/services/T000/B000/XXXXSECRET failed with tok-12345 and Bearer hdr-secret; path services/T000/B000/XXXXSECRET"
	got := redact(msg, secretValues(o))
	for _, s := range []string{"XXXXSECRET", "tok-12345", "hdr-secret"} {
		if strings.Contains(got, s) {
			t.Errorf("redacted message %q still holds %q", got, s)
		}
	}
}
