package testenv

import (
	"testing"

	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferrycd/ferry/api/meta"
)

// Source is a source object as its tests see it.
type Source interface {
	client.Object
	GetConditions() []metav1.Condition
	GetArtifact() *meta.Artifact
}

// SourceReadyAt holds once a source is Ready=True for its current
// generation with an artifact of revision ("" for any).
func SourceReadyAt[T Source](revision string) func(T) bool {
	return func(o T) bool {
		c := apimeta.FindStatusCondition(o.GetConditions(), meta.ReadyCondition)
		a := o.GetArtifact()
		return c != nil && c.Status == metav1.ConditionTrue && c.ObservedGeneration == o.GetGeneration() &&
			a != nil && (revision == "" || a.Revision == revision)
	}
}

// ReadyFalse holds once an object is Ready=False with reason.
func ReadyFalse[T interface{ GetConditions() []metav1.Condition }](reason string) func(T) bool {
	return func(o T) bool {
		c := apimeta.FindStatusCondition(o.GetConditions(), meta.ReadyCondition)
		return c != nil && c.Status == metav1.ConditionFalse && c.Reason == reason
	}
}

// ReconcileNow requests a reconcile of the object at key (read into obj)
// and waits until handled, which reads its status.lastHandledReconcileAt,
// shows the request was handled.
func ReconcileNow[T client.Object](t testing.TB, c client.Client, obj T, key client.ObjectKey, handled func(T) string) T {
	t.Helper()
	token := RequestReconcile(t, c, obj, key)
	return WaitFor(t, c, key, "handled the request", func(o T) bool { return handled(o) == token })
}
