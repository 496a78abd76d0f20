package receiver_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferrycd/ferry/api/meta"
	notificationv1 "github.com/ferrycd/ferry/api/notification/v1"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/controller"
	"github.com/ferrycd/ferry/internal/testenv"
)

// The suite shares one control plane and one manager running the Receiver
// controller with its webhook server on loopback, and the GitRepository and
// Kustomization controllers; every test works in its own namespace and
// calls the real listener.
var (
	env *testenv.Env
	// hookBase is the webhook server's URL, "http://127.0.0.1:<port>".
	hookBase string
)

// token is the token of every test's Receiver Secret; the controllers must
// never log it.
const token = "receiver-t0ken-that-must-not-leak"

func TestMain(m *testing.M) {
	env = testenv.Start(testenv.Options{
		Manager: &controller.Options{
			Controllers:  []string{"receiver", "gitrepository", "kustomization"},
			Concurrent:   2,
			ReceiverAddr: "127.0.0.1:0",
		},
		GitServer: true,
		Secrets:   []string{token},
	})
	hookBase = env.ReceiverURL
	code := env.Run(m)
	if !strings.Contains(env.Logs.String(), "webhook call handled") {
		fmt.Fprintln(os.Stderr, "FAIL: the webhook server's logs were not captured")
		code = 1
	}
	os.Exit(code)
}

func create(t *testing.T, obj client.Object) {
	t.Helper()
	if err := env.Client.Create(context.Background(), obj); err != nil {
		t.Fatal(err)
	}
}

// tokenSecret is the Secret "webhook-token" with the suite's token.
func tokenSecret(ns string) *corev1.Secret {
	return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "webhook-token"},
		Data: map[string][]byte{"token": []byte(token)}}
}

// ref names an object for spec.resources.
func ref(kind, name string) notificationv1.CrossNamespaceObjectReference {
	return notificationv1.CrossNamespaceObjectReference{Kind: kind, Name: name}
}

// newReceiver is a Receiver "hook" of typ reading Secret "webhook-token".
func newReceiver(ns, typ string, resources []notificationv1.CrossNamespaceObjectReference, mutate ...func(*notificationv1.Receiver)) *notificationv1.Receiver {
	r := &notificationv1.Receiver{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "hook"},
		Spec: notificationv1.ReceiverSpec{
			Type:      typ,
			Resources: resources,
			SecretRef: meta.LocalObjectReference{Name: "webhook-token"},
		},
	}
	for _, m := range mutate {
		m(r)
	}
	return r
}

// readyReceiver creates the token Secret and rcv and waits until rcv is
// Ready with its path.
func readyReceiver(t *testing.T, rcv *notificationv1.Receiver) *notificationv1.Receiver {
	t.Helper()
	create(t, tokenSecret(rcv.Namespace))
	create(t, rcv)
	return waitReceiver(t, client.ObjectKeyFromObject(rcv), "Ready", isReady)
}

func waitReceiver(t *testing.T, key client.ObjectKey, what string, cond func(*notificationv1.Receiver) bool) *notificationv1.Receiver {
	t.Helper()
	return testenv.WaitFor(t, env.Client, key, what, cond)
}

func isReady(r *notificationv1.Receiver) bool {
	c := apimeta.FindStatusCondition(r.Status.Conditions, meta.ReadyCondition)
	return c != nil && c.Status == metav1.ConditionTrue && c.ObservedGeneration == r.Generation && r.Status.WebhookPath != ""
}

func isFailing(reason string) func(*notificationv1.Receiver) bool {
	return func(r *notificationv1.Receiver) bool {
		c := apimeta.FindStatusCondition(r.Status.Conditions, meta.ReadyCondition)
		return c != nil && c.Status == metav1.ConditionFalse && c.Reason == reason
	}
}

// post calls the webhook path with body and headers and returns the status
// code and the answer.
func post(t *testing.T, path, body string, header ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, hookBase+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return do(t, req)
}

func do(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	if bytes.Contains(answer, []byte(token)) {
		t.Errorf("the answer names the token: %s", answer)
	}
	return resp.StatusCode, strings.TrimSpace(string(answer))
}

// expect fails unless the call was answered code.
func expect(t *testing.T, what string, code int, got int, answer string) {
	t.Helper()
	if got != code {
		t.Fatalf("%s: answered %d %q, want %d", what, got, answer, code)
	}
}

// github returns the headers GitHub sends with a push, signed with the
// suite's token.
func github(body, event, delivery string) []string {
	m := hmac.New(sha256.New, []byte(token))
	m.Write([]byte(body))
	return []string{
		"Content-Type", "application/json",
		"X-GitHub-Event", event,
		"X-GitHub-Delivery", delivery,
		"X-Hub-Signature-256", "sha256=" + hex.EncodeToString(m.Sum(nil)),
	}
}

// suspendedRepo creates a suspended GitRepository: its annotation is all a
// test looks at, and nothing fetches.
func suspendedRepo(t *testing.T, ns, name string, labels map[string]string) {
	t.Helper()
	create(t, &sourcev1.GitRepository{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: labels},
		Spec: sourcev1.GitRepositorySpec{
			URL:      "http://127.0.0.1:1/none.git",
			Interval: metav1.Duration{Duration: time.Hour},
			Suspend:  true,
		},
	})
}

// requestedAt returns the reconcile request annotation of the object of
// obj's type at key, "" when it has none.
func requestedAt(t *testing.T, obj client.Object, key client.ObjectKey) string {
	t.Helper()
	if err := env.Client.Get(context.Background(), key, obj); err != nil {
		t.Fatal(err)
	}
	return obj.GetAnnotations()[meta.ReconcileRequestAnnotation]
}

func repoRequestedAt(t *testing.T, ns, name string) string {
	t.Helper()
	return requestedAt(t, &sourcev1.GitRepository{}, testenv.Key(ns, name))
}
