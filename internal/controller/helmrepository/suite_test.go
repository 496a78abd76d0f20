package helmrepository_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/controller"
	"github.com/ferrycd/ferry/internal/testenv"
)

// The suite shares one control plane and one manager running the
// HelmRepository controller with its artifact server; every test works in
// its own namespace against its own chart repository.
var env *testenv.Env

const (
	helmUser     = "helm-user"
	helmPassword = "helm-pa55w0rd-that-must-not-leak"
	// testMaxIndexSize is the suite's --helm-index-max-size, small enough
	// for a test to pass it with a generated index.
	testMaxIndexSize int64 = 256 << 10
)

func TestMain(m *testing.M) {
	env = testenv.Start(testenv.Options{
		Manager: &controller.Options{
			Controllers:      []string{"helmrepository"},
			Concurrent:       2,
			HelmIndexMaxSize: testMaxIndexSize,
		},
		Secrets: []string{helmPassword},
	})
	code := env.Run(m)
	if !strings.Contains(env.Logs.String(), "stored artifact") {
		fmt.Fprintln(os.Stderr, "FAIL: the controller logs were not captured")
		code = 1
	}
	os.Exit(code)
}

func newNamespace(t *testing.T) string {
	t.Helper()
	return env.NewNamespace(t, "helmrepo")
}

func newHelmRepository(ns, name, url string, mutate ...func(*sourcev1.HelmRepository)) *sourcev1.HelmRepository {
	hr := &sourcev1.HelmRepository{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: sourcev1.HelmRepositorySpec{
			URL:      url,
			Interval: metav1.Duration{Duration: time.Hour},
		},
	}
	for _, m := range mutate {
		m(hr)
	}
	return hr
}

func withSecret(name string) func(*sourcev1.HelmRepository) {
	return func(hr *sourcev1.HelmRepository) { hr.Spec.SecretRef = &meta.LocalObjectReference{Name: name} }
}

func withCertSecret(name string) func(*sourcev1.HelmRepository) {
	return func(hr *sourcev1.HelmRepository) { hr.Spec.CertSecretRef = &meta.LocalObjectReference{Name: name} }
}

func secret(ns, name string, data map[string]string) *corev1.Secret {
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Data: map[string][]byte{}}
	for k, v := range data {
		s.Data[k] = []byte(v)
	}
	return s
}

func create(t *testing.T, obj client.Object) {
	t.Helper()
	if err := env.Client.Create(context.Background(), obj); err != nil {
		t.Fatal(err)
	}
}

func waitFor(t *testing.T, key client.ObjectKey, what string, cond func(*sourcev1.HelmRepository) bool) *sourcev1.HelmRepository {
	t.Helper()
	return testenv.WaitFor(t, env.Client, key, what, cond)
}

func cond(hr *sourcev1.HelmRepository, condType string) *metav1.Condition {
	return apimeta.FindStatusCondition(hr.Status.Conditions, condType)
}

// isReady holds once Ready=True for the current generation with an
// artifact.
func isReady(hr *sourcev1.HelmRepository) bool {
	c := cond(hr, meta.ReadyCondition)
	return c != nil && c.Status == metav1.ConditionTrue && c.ObservedGeneration == hr.Generation && hr.Status.Artifact != nil
}

// isFailing holds once Ready=False with reason and the retry settled.
func isFailing(reason string) func(*sourcev1.HelmRepository) bool {
	return testenv.ReadyFalse[*sourcev1.HelmRepository](reason)
}

func requestReconcile(t *testing.T, key client.ObjectKey) string {
	t.Helper()
	return testenv.RequestReconcile(t, env.Client, &sourcev1.HelmRepository{}, key)
}

// reconcileNow requests a reconcile and waits until it is handled.
func reconcileNow(t *testing.T, key client.ObjectKey) *sourcev1.HelmRepository {
	t.Helper()
	return testenv.ReconcileNow(t, env.Client, &sourcev1.HelmRepository{}, key,
		func(hr *sourcev1.HelmRepository) string { return hr.Status.LastHandledReconcileAt })
}

func events(t *testing.T, ns, name string) []corev1.Event {
	t.Helper()
	return testenv.Events(t, env.Client, "", ns, name)
}

// waitForEvent polls until an event with reason exists for the object.
func waitForEvent(t *testing.T, ns, name, eventType, reason string) corev1.Event {
	t.Helper()
	var found corev1.Event
	testenv.Eventually(t, fmt.Sprintf("a %s event %q for %s/%s", eventType, reason, ns, name), func() (bool, string) {
		evs := events(t, ns, name)
		for _, e := range evs {
			if e.Type == eventType && e.Reason == reason {
				found = e
				return true, ""
			}
		}
		return false, fmt.Sprintf("events: %+v", evs)
	})
	return found
}

// countEvents returns how many events with reason the object has.
func countEvents(t *testing.T, ns, name, reason string) int {
	t.Helper()
	n := 0
	for _, e := range events(t, ns, name) {
		if e.Reason == reason {
			n += int(max(e.Count, 1))
		}
	}
	return n
}
