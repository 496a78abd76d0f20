package testenv

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/ferrycd/ferry/api/meta"
)

// NewNamespace creates a namespace named prefix-<random> for the test and
// deletes it when the test ends.
func (e *Env) NewNamespace(t testing.TB, prefix string) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: prefix + "-"}}
	if err := e.Client.Create(context.Background(), ns); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Client.Delete(context.Background(), ns) })
	return ns.Name
}

// Events lists the events recorded in namespace ns for the objects named
// name, of the given kind unless kind is empty.
func Events(t testing.TB, c client.Reader, kind, ns, name string) []corev1.Event {
	t.Helper()
	list := &corev1.EventList{}
	if err := c.List(context.Background(), list, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	var out []corev1.Event
	for _, e := range list.Items {
		if e.InvolvedObject.Name == name && (kind == "" || e.InvolvedObject.Kind == kind) {
			out = append(out, e)
		}
	}
	return out
}

// WaitForEvent waits until namespace ns has an event of eventType and
// reason for the objects named name, and returns it.
func WaitForEvent(t testing.TB, c client.Reader, ns, name, eventType, reason string) corev1.Event {
	t.Helper()
	var found corev1.Event
	Eventually(t, fmt.Sprintf("a %s event %q for %s/%s", eventType, reason, ns, name), func() (bool, string) {
		evs := Events(t, c, "", ns, name)
		for _, e := range evs {
			if e.Type == eventType && e.Reason == reason {
				found = e
				return true, ""
			}
		}
		return false, fmt.Sprintf("%d events", len(evs))
	})
	return found
}

// RequestReconcile sets reconcile.fluxcd.io/requestedAt on the object at key
// (read into obj), as `flux reconcile` does, and returns the token.
func RequestReconcile(t testing.TB, c client.Client, obj client.Object, key client.ObjectKey) string {
	t.Helper()
	token := time.Now().Format(time.RFC3339Nano)
	if err := c.Get(context.Background(), key, obj); err != nil {
		t.Fatal(err)
	}
	patch := client.MergeFrom(obj.DeepCopyObject().(client.Object))
	a := obj.GetAnnotations()
	if a == nil {
		a = map[string]string{}
	}
	a["reconcile.fluxcd.io/requestedAt"] = token
	obj.SetAnnotations(a)
	if err := c.Patch(context.Background(), obj, patch); err != nil {
		t.Fatal(err)
	}
	return token
}

// Key is the key of the object name in namespace ns.
func Key(ns, name string) client.ObjectKey { return client.ObjectKey{Namespace: ns, Name: name} }

// Nested reads a nested field of obj as a string, for messages and asserts:
// "<absent>" for no object, "<unset>" for no field.
func Nested(obj *unstructured.Unstructured, fields ...string) string {
	if obj == nil {
		return "<absent>"
	}
	v, ok, _ := unstructured.NestedFieldNoCopy(obj.Object, fields...)
	if !ok {
		return "<unset>"
	}
	return fmt.Sprint(v)
}

// Dump renders v as YAML on a new line, for messages.
func Dump(v any) string {
	b, _ := yaml.Marshal(v)
	return "\n" + string(b)
}

// AssertNoSecret fails t when secret appears in a condition message of obj
// or in an event about it.
func AssertNoSecret(t testing.TB, c client.Reader, obj interface {
	client.Object
	GetConditions() []metav1.Condition
}, secret string) {
	t.Helper()
	for _, cond := range obj.GetConditions() {
		if strings.Contains(cond.Message, secret) {
			t.Errorf("condition %s leaks the secret: %s", cond.Type, cond.Message)
		}
	}
	for _, e := range Events(t, c, "", obj.GetNamespace(), obj.GetName()) {
		if strings.Contains(e.Message, secret) {
			t.Errorf("event %s leaks the secret: %s", e.Reason, e.Message)
		}
	}
}

// FetchArtifact downloads a source's artifact from its URL, checks its
// digest and returns its content.
func FetchArtifact(t testing.TB, a *meta.Artifact) []byte {
	t.Helper()
	resp, err := http.Get(a.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", a.URL, resp.Status)
	}
	sum := sha256.Sum256(body)
	if got := "sha256:" + hex.EncodeToString(sum[:]); got != a.Digest {
		t.Fatalf("artifact at %s has digest %s, status says %s", a.URL, got, a.Digest)
	}
	return body
}
