package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	notificationv1beta3 "github.com/ferrycd/ferry/api/notification/v1beta3"
	"github.com/ferrycd/ferry/internal/testenv"
)

func TestPrintEvents(t *testing.T) {
	now := time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)
	ev := func(ns, kind, name, typ, reason, msg string, ago time.Duration) corev1.Event {
		return corev1.Event{
			ObjectMeta:     metav1.ObjectMeta{Namespace: ns, Name: name + "." + reason},
			InvolvedObject: corev1.ObjectReference{Kind: kind, Name: name, Namespace: ns},
			Type:           typ, Reason: reason, Message: msg,
			LastTimestamp: metav1.NewTime(now.Add(-ago)),
		}
	}
	events := []corev1.Event{
		ev("flux-system", "Kustomization", "apps", "Normal", "ReconciliationSucceeded", "Reconciliation finished in 1.2s, next run in 10m0s", 90*time.Second),
		ev("flux-system", "GitRepository", "fleet", "Normal", "NewArtifact", "stored artifact for commit 'add apps'", 10*time.Minute),
		ev("apps", "Kustomization", "web", "Warning", "BuildFailed", "kustomize build failed:\naccumulating resources", 5*time.Second),
	}
	for name, all := range map[string]bool{"events.golden": false, "events_all_namespaces.golden": true} {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := printEvents(&buf, append([]corev1.Event(nil), events...), all, now); err != nil {
				t.Fatal(err)
			}
			golden(t, name, buf.Bytes())
		})
	}
}

// TestDeliveryEvents prints the deliveries of a Provider among the other
// events, as `ferry events` does.
func TestDeliveryEvents(t *testing.T) {
	now := time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)
	at := func(ago time.Duration) metav1.Time { return metav1.NewTime(now.Add(-ago)) }
	rev := "main@sha1:3b1e0c5f9d2a4e6b8c0d1f2a3b4c5d6e7f8a9b0c"
	p := &notificationv1beta3.Provider{ObjectMeta: metav1.ObjectMeta{Namespace: "flux-system", Name: "slack"}}
	p.Status.Deliveries = []notificationv1beta3.Delivery{ // newest first
		{Time: at(5 * time.Second), Alert: "on-call", InvolvedObject: "HelmRelease/apps/web", Reason: "UpgradeSucceeded", Result: "Dropped",
			Message: "the Provider's queue is full"},
		{Time: at(time.Minute), Alert: "on-call", InvolvedObject: "Kustomization/flux-system/apps", Reason: "HealthCheckFailed", Severity: "error",
			Revision: rev, Result: "Failed", Attempts: 3, Message: "POST returned 503 Service Unavailable"},
		{Time: at(10 * time.Minute), Alert: "on-call", InvolvedObject: "Kustomization/flux-system/apps", Reason: "ReconciliationSucceeded",
			Revision: rev, Result: "Delivered", Attempts: 1},
	}
	d := &deliveries{seen: map[string]bool{}}
	events := append(d.unseen(p), corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{Namespace: "flux-system", Name: "apps.progressing"},
		InvolvedObject: corev1.ObjectReference{Kind: "Kustomization", Name: "apps", Namespace: "flux-system"},
		Type:           "Warning", Reason: "HealthCheckFailed", Message: "timeout waiting for Deployment/apps/web",
		LastTimestamp: at(70 * time.Second),
	})
	var buf bytes.Buffer
	if err := printEvents(&buf, events, false, now); err != nil {
		t.Fatal(err)
	}
	golden(t, "events_deliveries.golden", buf.Bytes())
	if again := d.unseen(p); len(again) != 0 {
		t.Errorf("the deliveries seen are returned again: %v", again)
	}
}

// TestEvents reconciles a source and a Kustomization and finds their
// events, all of them or those of one object.
func TestEvents(t *testing.T) {
	ns, _ := setupSync(t, "events", "./deploy", map[string]string{"deploy/cm.yaml": configMapYAML("settings", "one")})
	if _, stderr, code := ferry(t, "-n", ns, "reconcile", "kustomization", "events", "--with-source"); code != 0 {
		t.Fatalf("reconcile exited %d: %s", code, stderr)
	}
	testenv.Eventually(t, "events of both objects", func() (bool, string) {
		stdout, stderr, code := ferry(t, "-n", ns, "events")
		ok := code == 0 && strings.Contains(stdout, "GitRepository/events") && strings.Contains(stdout, "Kustomization/events") &&
			strings.Contains(stdout, "ReconciliationSucceeded")
		return ok, stdout + stderr
	})
	stdout, _, _ := ferry(t, "-n", ns, "events")
	mustContain(t, "events", stdout, "LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE", "Normal")

	stdout, stderr, code := ferry(t, "-n", ns, "events", "--for", "GitRepository/events")
	if code != 0 {
		t.Fatalf("events --for exited %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "GitRepository/events") || strings.Contains(stdout, "Kustomization/") {
		t.Errorf("events --for GitRepository/events:\n%s", stdout)
	}

	// A Kustomization's events come with its source's; a kind alone
	// selects every object of that kind.
	stdout, _, _ = ferry(t, "-n", ns, "events", "--for", "Kustomization/events")
	mustContain(t, "events --for Kustomization/events", stdout, "Kustomization/events", "GitRepository/events")
	stdout, _, _ = ferry(t, "-n", ns, "events", "--for", "Kustomization")
	if !strings.Contains(stdout, "Kustomization/events") || strings.Contains(stdout, "GitRepository/") {
		t.Errorf("events --for Kustomization:\n%s", stdout)
	}

	stdout, _, _ = ferry(t, "events", "-A", "--types", "Normal")
	mustContain(t, "events -A", stdout, "NAMESPACE", ns, "Kustomization/events")

	stdout, stderr, code = ferry(t, "-n", ns, "events", "--types", "Warning")
	if code != 0 || stdout != "" {
		t.Errorf("events --types Warning: exit %d, stdout %q", code, stdout)
	}
	mustContain(t, "stderr", stderr, "no events found in "+ns+" namespace")

	for args, want := range map[string]string{
		"--for=Kustomization/": "must be '<kind>/<name>' or '<kind>'",
		"--types=Info":         "the types are Normal and Warning",
	} {
		_, stderr, code = ferry(t, "-n", ns, "events", args)
		if code != 1 {
			t.Fatalf("events %s exited %d, want 1", args, code)
		}
		mustContain(t, "stderr", stderr, want)
	}
}

// TestEventsWatch prints the events so far, then an event recorded while
// it watches, until its context ends.
func TestEventsWatch(t *testing.T) {
	ns := env.NewNamespace(t, "watch")
	var out, errOut testenv.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int)
	go func() {
		done <- Main(ctx, []string{"--kubeconfig", env.Kubeconfig, "-n", ns, "events", "--watch"}, &out, &errOut)
	}()
	// An empty namespace: the header alone is printed once the list is
	// done; the watch starts from that list, so a later event is watched.
	testenv.Eventually(t, "the header", func() (bool, string) {
		return strings.Contains(out.String(), "LAST SEEN"), out.String() + errOut.String()
	})
	if strings.Contains(out.String(), "Kustomization/") {
		t.Fatalf("events listed in a new namespace:\n%s", out.String())
	}
	now := metav1.Now()
	ev := &corev1.Event{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "apps.watched"},
		InvolvedObject: corev1.ObjectReference{
			APIVersion: "kustomize.toolkit.fluxcd.io/v1", Kind: "Kustomization", Name: "apps", Namespace: ns,
		},
		Type: "Warning", Reason: "HealthCheckFailed", Message: "timeout waiting for Deployment/" + ns + "/web",
		FirstTimestamp: now, LastTimestamp: now, Count: 1,
		Source: corev1.EventSource{Component: "kustomize-controller"},
	}
	if err := env.Client.Create(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, "the watched event to be printed", func() (bool, string) {
		return strings.Contains(out.String(), "HealthCheckFailed"), out.String() + errOut.String()
	})
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("events --watch exited %d: %s", code, errOut.String())
	}
	mustContain(t, "events --watch", out.String(), "Kustomization/apps", "timeout waiting for Deployment/"+ns+"/web")
}
