package reconcile

import (
	"errors"
	"fmt"
	"testing"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/ferrycd/ferry/api/meta"
)

func TestRunLogRecordsTheNextRun(t *testing.T) {
	l := newRunLog(10)
	k := runKey{"Kustomization", "apps", "web"}
	boom := errors.New("connection refused")
	start := time.Now()

	l.record(k, start, outcomeOf(nil), ctrl.Result{RequeueAfter: time.Hour}, nil)
	r, ok := l.get(k)
	if !ok || r.Result != RunSuccess || r.Backoff || r.Failures != 0 || r.Start != start || r.Duration < 0 {
		t.Fatalf("success = %+v", r)
	}
	if d := r.Next.Sub(start); d < time.Hour || d > time.Hour+time.Minute {
		t.Errorf("next run in %s after a success, want the requeue of 1h", d)
	}

	// Errors returned to controller-runtime back off as its limiter does.
	for i, want := range []time.Duration{5 * time.Millisecond, 10 * time.Millisecond, 20 * time.Millisecond} {
		before := time.Now()
		l.record(k, before, outcomeOf(boom), ctrl.Result{}, boom)
		r, _ = l.get(k)
		if r.Result != RunError || !r.Backoff || r.Failures != i+1 {
			t.Fatalf("error %d = %+v", i+1, r)
		}
		if d := r.Next.Sub(before); d < want || d > want+time.Minute {
			t.Errorf("error %d: next run in %s, want the backoff %s", i+1, d, want)
		}
	}
	if backoff(30) != BackoffMax {
		t.Errorf("backoff(30) = %s, want the cap %s", backoff(30), BackoffMax)
	}

	// A failure retried after spec.retryInterval is an error without backoff.
	l.record(k, time.Now(), outcomeOf(boom), ctrl.Result{RequeueAfter: 2 * time.Minute}, nil)
	if r, _ = l.get(k); r.Result != RunError || r.Backoff || r.Failures != 4 || r.Next.IsZero() {
		t.Errorf("retryInterval error = %+v", r)
	}

	tests := map[string]struct {
		outcome  string
		res      ctrl.Result
		wantNext bool
	}{
		"waiting":   {outcomeOf(Waiting(meta.DependencyNotReadyReason, 30*time.Second, boom)), ctrl.Result{RequeueAfter: 30 * time.Second}, true},
		"stalled":   {outcomeOf(Stalled(meta.InvalidPathReason, boom)), ctrl.Result{}, false},
		"suspended": {RunSuspended, ctrl.Result{}, false},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			l.record(k, time.Now(), tt.outcome, tt.res, nil)
			r, _ := l.get(k)
			if r.Result != tt.outcome || r.Failures != 0 || r.Next.IsZero() == tt.wantNext {
				t.Errorf("run = %+v; want result %s, next run %v", r, tt.outcome, tt.wantNext)
			}
		})
	}
	if got := []string{outcomeOf(Waiting("x", time.Second, boom)), outcomeOf(Stalled("x", boom))}; got[0] != RunRequeue || got[1] != RunStalled {
		t.Errorf("outcomes = %v", got)
	}

	l.forget(k)
	if _, ok := l.get(k); ok || len(l.all()) != 0 {
		t.Error("a forgotten run is still there")
	}
}

func TestRunLogIsBounded(t *testing.T) {
	l := newRunLog(3)
	key := func(i int) runKey { return runKey{"GitRepository", "src", fmt.Sprint(i)} }
	for i := range 3 {
		l.record(key(i), time.Now(), RunSuccess, ctrl.Result{}, nil)
	}
	// Object 0 runs again, so 1 is the least recently run.
	l.record(key(0), time.Now(), RunSuccess, ctrl.Result{}, nil)
	l.record(key(3), time.Now(), RunSuccess, ctrl.Result{}, nil)
	if n := len(l.all()); n != 3 {
		t.Errorf("%d runs kept, want 3", n)
	}
	if _, ok := l.get(key(1)); ok {
		t.Error("the least recently run object was kept")
	}
	for _, i := range []int{0, 2, 3} {
		if _, ok := l.get(key(i)); !ok {
			t.Errorf("object %d was forgotten", i)
		}
	}
}
