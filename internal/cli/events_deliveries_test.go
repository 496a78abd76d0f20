package cli

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	notificationv1beta3 "github.com/ferrycd/ferry/api/notification/v1beta3"
	"github.com/ferrycd/ferry/internal/testenv"
)

// TestEventsDeliveries writes a Provider's status.deliveries, as the
// dispatcher does, and finds them among the events: all, the Provider's,
// the warnings, and with --watch the next one.
func TestEventsDeliveries(t *testing.T) {
	ns := env.NewNamespace(t, "deliveries")
	ctx := context.Background()
	if _, stderr, code := ferry(t, "-n", ns, "create", "alert-provider", "chat", "--type=generic", "--address=http://127.0.0.1:9/chat"); code != 0 {
		t.Fatalf("create alert-provider exited %d: %s", code, stderr)
	}
	now := time.Now()
	at := func(ago time.Duration) metav1.Time { return metav1.NewTime(now.Add(-ago).Truncate(time.Second)) }
	revision := "main@sha1:3b1e0c5f9d2a4e6b8c0d1f2a3b4c5d6e7f8a9b0c"
	setDeliveries(t, ns, "chat", // newest first, as the dispatcher writes them
		notificationv1beta3.Delivery{Time: at(time.Minute), Alert: "on-call", InvolvedObject: "Kustomization/" + ns + "/apps", Reason: "HealthCheckFailed",
			Severity: "error", Revision: revision, Result: "Failed", Attempts: 3, Message: "POST returned 503 Service Unavailable"},
		notificationv1beta3.Delivery{Time: at(2 * time.Minute), Alert: "on-call", InvolvedObject: "Kustomization/" + ns + "/apps", Reason: "ReconciliationSucceeded",
			Severity: "info", Revision: revision, Result: "Delivered", Attempts: 1},
	)
	// A Kubernetes event of another object, between the two deliveries.
	ev := &corev1.Event{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "apps.progressing"},
		InvolvedObject: corev1.ObjectReference{
			APIVersion: "kustomize.toolkit.fluxcd.io/v1", Kind: "Kustomization", Name: "apps", Namespace: ns,
		},
		Type: "Normal", Reason: "Progressing", Message: "applying revision " + revision,
		FirstTimestamp: at(90 * time.Second), LastTimestamp: at(90 * time.Second), Count: 1,
		Source: corev1.EventSource{Component: "kustomize-controller"},
	}
	if err := env.Client.Create(ctx, ev); err != nil {
		t.Fatal(err)
	}

	delivered := "Alert on-call, Kustomization/" + ns + "/apps ReconciliationSucceeded (revision " + revision + "): delivered after 1 attempt"
	failed := "Alert on-call, Kustomization/" + ns + "/apps HealthCheckFailed (revision " + revision + "): failed after 3 attempts: POST returned 503 Service Unavailable"
	stdout, stderr, code := ferry(t, "-n", ns, "events")
	if code != 0 {
		t.Fatalf("events exited %d: %s", code, stderr)
	}
	// Sorted by time with the other events, oldest first.
	iDelivered, iProgressing, iFailed := strings.Index(stdout, "NotificationDelivered"), strings.Index(stdout, "Progressing"), strings.Index(stdout, "NotificationFailed")
	if iDelivered < 0 || iProgressing < 0 || iFailed < 0 || iDelivered > iProgressing || iProgressing > iFailed {
		t.Errorf("events are not the two deliveries around the event, oldest first:\n%s", stdout)
	}
	checkEventRow(t, stdout, delivered, "Normal", "NotificationDelivered", "Provider/chat")
	checkEventRow(t, stdout, failed, "Warning", "NotificationFailed", "Provider/chat")

	stdout, _, _ = ferry(t, "-n", ns, "events", "--for", "Provider/chat")
	mustContain(t, "events --for Provider/chat", stdout, delivered, failed)
	if strings.Contains(stdout, "Kustomization/apps") {
		t.Errorf("events --for Provider/chat has another object's events:\n%s", stdout)
	}
	stdout, _, _ = ferry(t, "-n", ns, "events", "--types", "Warning")
	if !strings.Contains(stdout, failed) || strings.Contains(stdout, "NotificationDelivered") || strings.Contains(stdout, "Progressing") {
		t.Errorf("events --types Warning:\n%s", stdout)
	}
	stdout, _, _ = ferry(t, "-n", ns, "events", "--for", "Kustomization/apps")
	if strings.Contains(stdout, "Provider/") {
		t.Errorf("events --for Kustomization/apps has the deliveries:\n%s", stdout)
	}
	stdout, _, _ = ferry(t, "events", "-A", "--for", "Provider")
	mustContain(t, "events -A --for Provider", stdout, "NAMESPACE", failed)
	if f := strings.Fields(rowOf(stdout, failed)); len(f) < 6 || f[0] != ns {
		t.Errorf("events -A: the delivery's row does not start with its namespace:\n%s", stdout)
	}

	// --watch prints a delivery recorded while it watches, once.
	var out, errOut testenv.Buffer
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan int)
	go func() {
		done <- Main(wctx, []string{"--kubeconfig", env.Kubeconfig, "-n", ns, "events", "--watch", "--for", "Provider/chat"}, &out, &errOut)
	}()
	testenv.Eventually(t, "the deliveries so far", func() (bool, string) {
		return strings.Contains(out.String(), failed), out.String() + errOut.String()
	})
	dropped := "Alert on-call, Kustomization/" + ns + "/apps ReconciliationSucceeded: dropped: the Provider's queue is full"
	setDeliveries(t, ns, "chat",
		notificationv1beta3.Delivery{Time: metav1.NewTime(time.Now().Truncate(time.Second)), Alert: "on-call", InvolvedObject: "Kustomization/" + ns + "/apps",
			Reason: "ReconciliationSucceeded", Result: "Dropped", Message: "the Provider's queue is full"},
		notificationv1beta3.Delivery{Time: at(time.Minute), Alert: "on-call", InvolvedObject: "Kustomization/" + ns + "/apps", Reason: "HealthCheckFailed",
			Severity: "error", Revision: revision, Result: "Failed", Attempts: 3, Message: "POST returned 503 Service Unavailable"},
	)
	testenv.Eventually(t, "the new delivery to be printed", func() (bool, string) {
		return strings.Contains(out.String(), dropped), out.String() + errOut.String()
	})
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("events --watch exited %d: %s", code, errOut.String())
	}
	if n := strings.Count(out.String(), failed); n != 1 {
		t.Errorf("the failed delivery was printed %d times:\n%s", n, out.String())
	}
	checkEventRow(t, out.String(), dropped, "Warning", "NotificationDropped", "Provider/chat")
}

// checkEventRow checks the columns TYPE, REASON and OBJECT of the row of
// the events table whose message is message.
func checkEventRow(t *testing.T, table, message, typ, reason, object string) {
	t.Helper()
	row := rowOf(table, message)
	if row == "" {
		t.Errorf("no row with the message %q in:\n%s", message, table)
		return
	}
	// LAST SEEN (one word: 2m5s), TYPE, REASON, OBJECT, MESSAGE.
	if f := strings.Fields(row); len(f) < 5 || f[1] != typ || f[2] != reason || f[3] != object {
		t.Errorf("the row of %q is %q, want %s %s %s", message, row, typ, reason, object)
	}
}

// rowOf is the line of table that ends with message, or "".
func rowOf(table, message string) string {
	for _, line := range strings.Split(table, "\n") {
		if strings.HasSuffix(line, message) {
			return line
		}
	}
	return ""
}

// setDeliveries writes status.deliveries of the Provider, once the
// controller has checked it, through the status subresource.
func setDeliveries(t *testing.T, ns, name string, deliveries ...notificationv1beta3.Delivery) {
	t.Helper()
	key := client.ObjectKey{Namespace: ns, Name: name}
	testenv.WaitFor(t, env.Client, key, "the Provider ready", func(p *notificationv1beta3.Provider) bool {
		return testenv.ReadyCondition(p).Status == metav1.ConditionTrue
	})
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		p := &notificationv1beta3.Provider{}
		if err := env.Client.Get(context.Background(), key, p); err != nil {
			return err
		}
		p.Status.Deliveries = deliveries
		return env.Client.Status().Update(context.Background(), p)
	})
	if err != nil {
		t.Fatal(err)
	}
}
