package testenv

import (
	"context"
	"reflect"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Deadline bounds every wait of the harness; generous, because the machine
// may be shared. It is a wait, not a timing assertion.
const Deadline = 3 * time.Minute

// pollInterval is how often a wait looks again.
const pollInterval = 100 * time.Millisecond

// Eventually polls cond until it reports true; at the Deadline it fails the
// test with what it waited for and the last detail cond gave.
func Eventually(t testing.TB, what string, cond func() (bool, string)) {
	t.Helper()
	var detail string
	if !poll(func() (ok bool) { ok, detail = cond(); return ok }) {
		t.Fatalf("gave up waiting for %s; last seen: %s", what, detail)
	}
}

// WaitFor polls the object of type T at key until cond holds and returns
// it; at the Deadline it fails the test with the object's last status.
func WaitFor[T client.Object](t testing.TB, c client.Reader, key client.ObjectKey, what string, cond func(T) bool) T {
	t.Helper()
	var obj T
	var err error
	if !poll(func() bool {
		obj = newObject[T]()
		err = c.Get(context.Background(), key, obj)
		return err == nil && cond(obj)
	}) {
		t.Fatalf("%s %s never became %s: err=%v status=%s", kindOf(obj), key, what, err, Dump(status(obj)))
	}
	return obj
}

// poll calls cond until it reports true or the Deadline passes, and
// reports whether cond did.
func poll(cond func() bool) bool {
	end := time.Now().Add(Deadline)
	for {
		if cond() {
			return true
		}
		if time.Now().After(end) {
			return false
		}
		time.Sleep(pollInterval)
	}
}

// newObject returns a new zero object of the type T points to.
func newObject[T client.Object]() T {
	var zero T
	return reflect.New(reflect.TypeOf(zero).Elem()).Interface().(T)
}

// kindOf names the Go type of obj, which is its kind for ferry's types.
func kindOf(obj any) string {
	ty := reflect.TypeOf(obj)
	for ty.Kind() == reflect.Pointer {
		ty = ty.Elem()
	}
	return ty.Name()
}

// status returns the status field of obj, for messages.
func status(obj client.Object) any {
	u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return err.Error()
	}
	return u["status"]
}
