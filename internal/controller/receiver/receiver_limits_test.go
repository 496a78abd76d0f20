package receiver_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"

	ctrlclient "sigs.k8s.io/controller-runtime/pkg/client"

	notificationv1 "github.com/ferrycd/ferry/api/notification/v1"
	"github.com/ferrycd/ferry/internal/controller/receiver"
)

// TestFlood checks that a flood of valid calls to one Receiver is answered
// 429 once its burst is spent, while another Receiver is still served.
func TestFlood(t *testing.T) {
	ns := env.NewNamespace(t, "flood")
	suspendedRepo(t, ns, "app", nil)
	rcv := readyReceiver(t, newReceiver(ns, notificationv1.GenericReceiver,
		[]notificationv1.CrossNamespaceObjectReference{ref("GitRepository", "app")}))
	other := newReceiver(ns, notificationv1.GenericReceiver,
		[]notificationv1.CrossNamespaceObjectReference{ref("GitRepository", "app")}, func(r *notificationv1.Receiver) { r.Name = "other" })
	create(t, other)
	other = waitReceiver(t, ctrlclient.ObjectKeyFromObject(other), "Ready", isReady)

	ok, limited := 0, 0
	for i := 0; i < 50*receiver.DefaultBurst && limited == 0; i++ {
		switch code, answer := post(t, rcv.Status.WebhookPath, ""); code {
		case http.StatusOK:
			ok++
		case http.StatusTooManyRequests:
			limited++
		default:
			t.Fatalf("call %d answered %d %q", i, code, answer)
		}
	}
	if ok < receiver.DefaultBurst || limited == 0 {
		t.Fatalf("%d calls answered 200 and %d 429; want the burst of %d, then 429", ok, limited, receiver.DefaultBurst)
	}
	code, answer := post(t, other.Status.WebhookPath, "")
	expect(t, "another Receiver during the flood", http.StatusOK, code, answer)
}

// TestUnauthenticatedFlood checks that calls without the secret take no
// tokens: the Receiver still answers its service afterwards.
func TestUnauthenticatedFlood(t *testing.T) {
	ns := env.NewNamespace(t, "badflood")
	suspendedRepo(t, ns, "app", nil)
	rcv := readyReceiver(t, newReceiver(ns, notificationv1.GenericHMACReceiver,
		[]notificationv1.CrossNamespaceObjectReference{ref("GitRepository", "app")}))
	for i := 0; i < 3*receiver.DefaultBurst; i++ {
		code, answer := post(t, rcv.Status.WebhookPath, "{}", "X-Signature", "sha256=00")
		expect(t, "a forged call", http.StatusUnauthorized, code, answer)
	}
	m := hmac.New(sha256.New, []byte(token))
	m.Write([]byte("{}"))
	code, answer := post(t, rcv.Status.WebhookPath, "{}", "X-Signature", "sha256="+hex.EncodeToString(m.Sum(nil)))
	expect(t, "the signed call after the forged ones", http.StatusOK, code, answer)
}

// TestBodyLimit checks that a body over the limit is refused before it is
// read whole.
func TestBodyLimit(t *testing.T) {
	ns := env.NewNamespace(t, "body")
	suspendedRepo(t, ns, "app", nil)
	rcv := readyReceiver(t, newReceiver(ns, notificationv1.GenericReceiver,
		[]notificationv1.CrossNamespaceObjectReference{ref("GitRepository", "app")}))
	code, answer := post(t, rcv.Status.WebhookPath, strings.Repeat("x", receiver.MaxBodySize+1))
	expect(t, "a body over the limit", http.StatusRequestEntityTooLarge, code, answer)
	if v := repoRequestedAt(t, ns, "app"); v != "" {
		t.Errorf("a refused call requested a reconcile: %q", v)
	}
}
