package cli

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	notificationv1 "github.com/ferrycd/ferry/api/notification/v1"
	notificationv1beta3 "github.com/ferrycd/ferry/api/notification/v1beta3"
)

// TestNotificationKinds creates a Provider, an Alert and a Receiver with
// the CLI against the real cluster and controllers, then lists, exports,
// suspends, resumes and reconciles each.
func TestNotificationKinds(t *testing.T) {
	ns := env.NewNamespace(t, "notif")
	ctx := context.Background()

	// A generic Provider: its address is only contacted when an event is
	// sent, and no Alert here selects one.
	_, stderr, code := ferry(t, "-n", ns, "create", "alert-provider", "hook", "--type=generic", "--address=http://127.0.0.1:9/flux")
	if code != 0 {
		t.Fatalf("create alert-provider exited %d: %s", code, stderr)
	}
	mustContain(t, "create alert-provider output", stderr,
		"► applying Provider hook in "+ns+" namespace",
		"✔ Provider created",
		"◎ waiting for Provider reconciliation",
		"✔ Provider reconciliation completed")

	_, stderr, code = ferry(t, "-n", ns, "create", "alert", "apps", "--provider-ref=hook", "--event-source=Kustomization/*", "--event-severity=error")
	if code != 0 {
		t.Fatalf("create alert exited %d: %s", code, stderr)
	}
	mustContain(t, "create alert output", stderr, "✔ Alert created", "✔ Alert reconciliation completed")

	// The Receiver's token is in a Secret; the webhook path is a hash of
	// it, the name and the namespace.
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "webhook-token"}, StringData: map[string]string{"token": "t0ken-of-the-test"}}
	if err := env.Client.Create(ctx, secret); err != nil {
		t.Fatal(err)
	}
	_, stderr, code = ferry(t, "-n", ns, "create", "receiver", "git", "--type=generic", "--secret-ref=webhook-token", "--resource=GitRepository/app")
	if code != 0 {
		t.Fatalf("create receiver exited %d: %s", code, stderr)
	}
	path := (&notificationv1.Receiver{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "git"}}).WebhookPath("t0ken-of-the-test")
	mustContain(t, "create receiver output", stderr,
		"► applying Receiver git in "+ns+" namespace",
		"✔ Receiver created",
		"✔ Receiver reconciliation completed",
		"✔ generated webhook URL "+path+"\n")
	if strings.Contains(stderr, "t0ken-of-the-test") {
		t.Errorf("create receiver printed the token:\n%s", stderr)
	}

	// Updating replaces the spec.
	_, stderr, code = ferry(t, "-n", ns, "create", "alert", "apps", "--provider-ref=hook", "--event-source=Kustomization/*,HelmRelease/web")
	if code != 0 {
		t.Fatalf("update alert exited %d: %s", code, stderr)
	}
	mustContain(t, "update alert output", stderr, "✔ Alert updated", "✔ Alert reconciliation completed")
	a := &notificationv1beta3.Alert{}
	if err := env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "apps"}, a); err != nil {
		t.Fatal(err)
	}
	if len(a.Spec.EventSources) != 2 || a.Spec.EventSources[1].Kind != "HelmRelease" || a.Spec.EventSeverity != "info" {
		t.Errorf("Alert spec after update = %+v", a.Spec)
	}

	// get: flux get's columns for each kind.
	for _, tt := range []struct {
		noun, header, row string
	}{
		{"alert-providers", "NAME   READY   MESSAGE", "hook   True    Initialized"},
		{"alerts", "NAME   SUSPENDED   READY   MESSAGE", "apps   False       True    Initialized"},
		{"receivers", "NAME   SUSPENDED   READY   MESSAGE", "git    False       True    Receiver initialized for path: " + path},
	} {
		stdout, stderr, code := ferry(t, "-n", ns, "get", tt.noun)
		if code != 0 {
			t.Fatalf("get %s exited %d: %s", tt.noun, code, stderr)
		}
		mustContain(t, "get "+tt.noun, stdout, tt.header+"\n", tt.row)
	}
	if _, stderr, code := ferry(t, "-n", ns, "get", "alerts", "nope"); code != 1 || !strings.Contains(stderr, `Alert "nope" not found`) {
		t.Errorf("get alerts nope: exit %d, %s", code, stderr)
	}

	// export: Flux YAML without status.
	stdout, stderr, code := ferry(t, "-n", ns, "export", "receiver", "git")
	if code != 0 {
		t.Fatalf("export receiver exited %d: %s", code, stderr)
	}
	mustContain(t, "export receiver", stdout, "apiVersion: notification.toolkit.fluxcd.io/v1\n", "kind: Receiver\n", "type: generic\n", "- kind: GitRepository\n    name: app\n")
	stdout, _, _ = ferry(t, "-n", ns, "export", "alert-provider", "--all")
	mustContain(t, "export alert-provider", stdout, "apiVersion: notification.toolkit.fluxcd.io/v1beta3\n", "kind: Provider\n", "address: http://127.0.0.1:9/flux\n")
	for _, out := range []string{stdout} {
		if strings.Contains(out, "status:") || strings.Contains(out, "requestedAt") {
			t.Errorf("export holds the status or the request annotation:\n%s", out)
		}
	}

	// suspend, resume and reconcile each kind.
	for _, k := range []struct {
		noun, name string
		kind       *kind
	}{{"alert-provider", "hook", providers}, {"alert", "apps", alerts}, {"receiver", "git", receivers}} {
		_, stderr, code := ferry(t, "-n", ns, "suspend", k.noun, k.name)
		if code != 0 {
			t.Fatalf("suspend %s exited %d: %s", k.noun, code, stderr)
		}
		mustContain(t, "suspend "+k.noun, stderr, "► suspending "+k.noun+" "+k.name+" in "+ns+" namespace", "✔ "+k.noun+" suspended")
		obj := k.kind.newObject()
		if err := env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: k.name}, obj); err != nil {
			t.Fatal(err)
		}
		if !obj.IsSuspended() {
			t.Errorf("%s %s is not suspended", k.kind.gvk.Kind, k.name)
		}
		if _, stderr, code := ferry(t, "-n", ns, "reconcile", k.noun, k.name); code != 1 || !strings.Contains(stderr, "is suspended") {
			t.Errorf("reconcile of a suspended %s: exit %d, %s", k.noun, code, stderr)
		}

		_, stderr, code = ferry(t, "-n", ns, "resume", k.noun, k.name)
		if code != 0 {
			t.Fatalf("resume %s exited %d: %s", k.noun, code, stderr)
		}
		mustContain(t, "resume "+k.noun, stderr, "✔ "+k.noun+" resumed", "◎ waiting for "+k.kind.gvk.Kind+" reconciliation", "✔ "+k.kind.gvk.Kind+" reconciliation completed")

		_, stderr, code = ferry(t, "-n", ns, "reconcile", k.noun, k.name)
		if code != 0 {
			t.Fatalf("reconcile %s exited %d: %s", k.noun, code, stderr)
		}
		mustContain(t, "reconcile "+k.noun, stderr, "✔ "+k.kind.gvk.Kind+" annotated", "✔ "+k.kind.gvk.Kind+" reconciliation completed")
		if strings.Contains(stderr, "revision") {
			t.Errorf("reconcile %s reported a revision:\n%s", k.noun, stderr)
		}
	}
	stdout, _, _ = ferry(t, "-n", ns, "get", "alerts")
	mustContain(t, "get alerts after resume", stdout, "apps   False       True")

	// A Receiver whose Secret has no token fails with the controller's
	// message.
	_, stderr, code = ferry(t, "-n", ns, "create", "receiver", "broken", "--type=github", "--secret-ref=missing", "--resource=GitRepository/app", "--timeout=2m")
	if code != 1 {
		t.Fatalf("create receiver with a missing Secret exited %d, want 1: %s", code, stderr)
	}
	mustContain(t, "failed create receiver output", stderr, "✔ Receiver created", "✗ Receiver reconciliation failed", "missing")
	if strings.Contains(stderr, "generated webhook URL") {
		t.Errorf("a failed Receiver printed a webhook path:\n%s", stderr)
	}
}
