package receiver_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	apimeta "k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferrycd/ferry/api/meta"
	notificationv1 "github.com/ferrycd/ferry/api/notification/v1"
	"github.com/ferrycd/ferry/internal/controller/receiver"
	"github.com/ferrycd/ferry/internal/testenv"
)

// TestReady checks the path Flux computes and Flux's Ready message.
func TestReady(t *testing.T) {
	ns := env.NewNamespace(t, "ready")
	rcv := readyReceiver(t, newReceiver(ns, notificationv1.GenericReceiver,
		[]notificationv1.CrossNamespaceObjectReference{ref("GitRepository", "app")}))
	want := rcv.WebhookPath(token)
	if rcv.Status.WebhookPath != want || !strings.HasPrefix(want, "/hook/") || len(want) != len("/hook/")+64 {
		t.Errorf("webhookPath = %q, want %q", rcv.Status.WebhookPath, want)
	}
	c := apimeta.FindStatusCondition(rcv.Status.Conditions, meta.ReadyCondition)
	if c.Reason != meta.SucceededReason || c.Message != "Receiver initialized for path: "+want {
		t.Errorf("Ready = %s %q", c.Reason, c.Message)
	}
	if rcv.Status.ObservedGeneration != rcv.Generation {
		t.Errorf("observedGeneration = %d, generation %d", rcv.Status.ObservedGeneration, rcv.Generation)
	}
}

// TestMissingToken checks that a Receiver without its Secret, then without
// the token key, is not Ready with a message naming the Secret and the key,
// and becomes Ready as soon as the token is there.
func TestMissingToken(t *testing.T) {
	ns := env.NewNamespace(t, "notoken")
	rcv := newReceiver(ns, notificationv1.GenericReceiver, []notificationv1.CrossNamespaceObjectReference{ref("GitRepository", "app")})
	create(t, rcv)
	key := client.ObjectKeyFromObject(rcv)
	got := waitReceiver(t, key, "TokenNotFound", isFailing(notificationv1.TokenNotFoundReason))
	msg := apimeta.FindStatusCondition(got.Status.Conditions, meta.ReadyCondition).Message
	if !strings.Contains(msg, ns+"/webhook-token") || got.Status.WebhookPath != "" {
		t.Errorf("without the Secret: message %q, path %q", msg, got.Status.WebhookPath)
	}

	secret := tokenSecret(ns)
	secret.Data = map[string][]byte{"other": []byte(token)}
	create(t, secret)
	got = waitReceiver(t, key, "TokenNotFound for the key", func(r *notificationv1.Receiver) bool {
		c := apimeta.FindStatusCondition(r.Status.Conditions, meta.ReadyCondition)
		return isFailing(notificationv1.TokenNotFoundReason)(r) && strings.Contains(c.Message, "'token'")
	})
	if msg := apimeta.FindStatusCondition(got.Status.Conditions, meta.ReadyCondition).Message; strings.Contains(msg, token) {
		t.Errorf("the message names the token: %q", msg)
	}

	secret.Data = map[string][]byte{"token": []byte(token)}
	if err := env.Client.Update(context.Background(), secret); err != nil {
		t.Fatal(err)
	}
	waitReceiver(t, key, "Ready once the token is there", isReady)
}

// TestRotatedToken checks that a new token moves the webhook to a new path:
// the old one is no longer served.
func TestRotatedToken(t *testing.T) {
	ns := env.NewNamespace(t, "rotate")
	suspendedRepo(t, ns, "app", nil)
	rcv := readyReceiver(t, newReceiver(ns, notificationv1.GenericReceiver,
		[]notificationv1.CrossNamespaceObjectReference{ref("GitRepository", "app")}))
	old := rcv.Status.WebhookPath

	secret := tokenSecret(ns)
	if err := env.Client.Get(context.Background(), client.ObjectKeyFromObject(secret), secret); err != nil {
		t.Fatal(err)
	}
	secret.Data["token"] = []byte(token + "-rotated")
	if err := env.Client.Update(context.Background(), secret); err != nil {
		t.Fatal(err)
	}
	rcv = waitReceiver(t, client.ObjectKeyFromObject(rcv), "a new path", func(r *notificationv1.Receiver) bool {
		return isReady(r) && r.Status.WebhookPath != old
	})
	if rcv.Status.WebhookPath != rcv.WebhookPath(token+"-rotated") {
		t.Errorf("webhookPath = %q, want the rotated token's", rcv.Status.WebhookPath)
	}
	testenv.Eventually(t, "the old path to be forgotten", func() (bool, string) {
		code, answer := post(t, old, "")
		return code == http.StatusNotFound, answer
	})
	code, answer := post(t, rcv.Status.WebhookPath, "")
	expect(t, "the new path", http.StatusOK, code, answer)
}

// TestUnknownPath checks the answers to paths and methods no Receiver
// serves.
func TestUnknownPath(t *testing.T) {
	code, answer := post(t, "/hook/"+strings.Repeat("0", 64), "{}")
	expect(t, "an unknown hook", http.StatusNotFound, code, answer)
	code, answer = post(t, "/other", "{}")
	expect(t, "another path", http.StatusNotFound, code, answer)

	ns := env.NewNamespace(t, "method")
	rcv := readyReceiver(t, newReceiver(ns, notificationv1.GenericReceiver,
		[]notificationv1.CrossNamespaceObjectReference{ref("GitRepository", "app")}))
	req, err := http.NewRequest(http.MethodGet, hookBase+rcv.Status.WebhookPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	code, answer = do(t, req)
	expect(t, "a GET", http.StatusMethodNotAllowed, code, answer)
}

// TestSuspended checks that a suspended Receiver keeps its path but answers
// 503 until resumed.
func TestSuspended(t *testing.T) {
	ns := env.NewNamespace(t, "suspend")
	suspendedRepo(t, ns, "app", nil)
	rcv := readyReceiver(t, newReceiver(ns, notificationv1.GenericReceiver,
		[]notificationv1.CrossNamespaceObjectReference{ref("GitRepository", "app")}))
	path := rcv.Status.WebhookPath

	setSuspend := func(v bool) {
		t.Helper()
		patch := client.MergeFrom(rcv.DeepCopy())
		rcv.Spec.Suspend = v
		if err := env.Client.Patch(context.Background(), rcv, patch); err != nil {
			t.Fatal(err)
		}
	}
	setSuspend(true)
	testenv.Eventually(t, "the suspended Receiver to answer 503", func() (bool, string) {
		code, answer := post(t, path, "")
		return code == http.StatusServiceUnavailable, answer
	})
	// A post answered before the suspension reached the server's cache may
	// have requested one; a post answered 503 must not.
	before := repoRequestedAt(t, ns, "app")
	code, answer := post(t, path, "")
	expect(t, "a post to the suspended Receiver", http.StatusServiceUnavailable, code, answer)
	if v := repoRequestedAt(t, ns, "app"); v != before {
		t.Errorf("a suspended Receiver requested a reconcile: %q (before the post: %q)", v, before)
	}
	got := waitReceiver(t, client.ObjectKeyFromObject(rcv), "still with its path", func(r *notificationv1.Receiver) bool { return r.Spec.Suspend })
	if got.Status.WebhookPath != path {
		t.Errorf("a suspended Receiver's path = %q, want %q", got.Status.WebhookPath, path)
	}

	setSuspend(false)
	testenv.Eventually(t, "the resumed Receiver to answer 200", func() (bool, string) {
		code, answer := post(t, path, "")
		return code == http.StatusOK, answer
	})
}

// TestNotReady checks that a Receiver with a path but not Ready answers 503:
// a gcr Receiver without the service account and audience to check.
func TestNotReady(t *testing.T) {
	ns := env.NewNamespace(t, "notready")
	rcv := newReceiver(ns, notificationv1.GCRReceiver, []notificationv1.CrossNamespaceObjectReference{ref("GitRepository", "app")})
	create(t, tokenSecret(ns))
	create(t, rcv)
	got := waitReceiver(t, client.ObjectKeyFromObject(rcv), "ValidationFailed", isFailing(notificationv1.ValidationFailedReason))
	msg := apimeta.FindStatusCondition(got.Status.Conditions, meta.ReadyCondition).Message
	if !strings.Contains(msg, "'email'") || !strings.Contains(msg, "'audience'") {
		t.Errorf("message %q does not name the keys", msg)
	}
	if got.Status.WebhookPath == "" {
		t.Fatal("no path")
	}
	code, answer := post(t, got.Status.WebhookPath, "{}", "Authorization", "Bearer x")
	expect(t, "a Receiver that is not Ready", http.StatusServiceUnavailable, code, answer)
}

// TestInvalidResourceFilter checks that a filter that does not compile
// stalls the Receiver with Flux's reason.
func TestInvalidResourceFilter(t *testing.T) {
	ns := env.NewNamespace(t, "badcel")
	rcv := newReceiver(ns, notificationv1.GenericReceiver, []notificationv1.CrossNamespaceObjectReference{ref("GitRepository", "app")},
		func(r *notificationv1.Receiver) { r.Spec.ResourceFilter = "res.metadata.name ==" })
	create(t, tokenSecret(ns))
	create(t, rcv)
	got := waitReceiver(t, client.ObjectKeyFromObject(rcv), "Stalled", func(r *notificationv1.Receiver) bool {
		c := apimeta.FindStatusCondition(r.Status.Conditions, meta.StalledCondition)
		return isFailing(receiver.InvalidCELExpressionReason)(r) && c != nil && c.Status == "True" &&
			r.Status.ObservedGeneration == r.Generation
	})
	if got.Status.WebhookPath != "" {
		t.Errorf("a stalled new Receiver has a path: %q", got.Status.WebhookPath)
	}
}
