package reconcile

import (
	"container/list"
	"errors"
	"sync"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
)

// The outcomes of a run, as the engine panel shows them.
const (
	// RunSuccess: the phases succeeded; the next run is after spec.interval.
	RunSuccess = "success"
	// RunRequeue: waiting for another object; the next run is after the
	// Waiting duration.
	RunRequeue = "requeue"
	// RunError: a transient failure (or a failed patch of the status);
	// the next run is after spec.retryInterval or controller-runtime's
	// backoff.
	RunError = "error"
	// RunStalled: misconfigured; no run until the object changes.
	RunStalled = "stalled"
	// RunSuspended: spec.suspend; no run until it is resumed.
	RunSuspended = "suspended"
)

// MaxRuns bounds how many objects' last runs are remembered, the least
// recently run forgotten first: at about 200 bytes a record, 1 MB.
const MaxRuns = 5000

// Run is the last reconciliation of one object in this process.
type Run struct {
	Kind, Namespace, Name string
	// Start is when it started, Duration how long it took.
	Start    time.Time
	Duration time.Duration
	// Result is RunSuccess, RunRequeue, RunError, RunStalled or
	// RunSuspended.
	Result string
	// Next is when the next run is due, zero for none scheduled (stalled,
	// suspended; a change of the object still starts one).
	Next time.Time
	// Backoff says Next is controller-runtime's per-object backoff after
	// an error returned to it, computed as ControllerOptions' rate limiter
	// does (BackoffBase doubled with each consecutive failure, at most
	// BackoffMax).
	Backoff bool
	// Failures counts the consecutive runs that ended in RunError.
	Failures int
}

// backoff is the delay before the failures-th retry.
func backoff(failures int) time.Duration {
	d := BackoffBase
	for i := 1; i < failures && d < BackoffMax; i++ {
		d *= 2
	}
	return min(d, BackoffMax)
}

// runs are the last runs of every object, of every manager in the process
// (as the Prometheus registry of metrics is): keyed by kind, namespace and
// name.
var runs = newRunLog(MaxRuns)

// Runs returns the last run of every object reconciled in this process
// (at most MaxRuns), in no order.
func Runs() []Run { return runs.all() }

// LastRun returns the last run of one object.
func LastRun(kind, namespace, name string) (Run, bool) {
	return runs.get(runKey{kind, namespace, name})
}

type runKey struct{ kind, namespace, name string }

// runLog is a bounded map of runs, least recently run evicted first.
type runLog struct {
	mu    sync.Mutex
	max   int
	byKey map[runKey]*runEntry
	// order is the entries by their last run, newest first.
	order *list.List
}

type runEntry struct {
	key runKey
	run Run
	// elem is the entry's place in runLog.order.
	elem *list.Element
}

func newRunLog(max int) *runLog {
	return &runLog{max: max, byKey: map[runKey]*runEntry{}, order: list.New()}
}

// record keeps the run of one reconcile, started at start, that returned
// res and err after the phases' outcome.
func (l *runLog) record(k runKey, start time.Time, outcome string, res ctrl.Result, err error) {
	end := time.Now()
	run := Run{Kind: k.kind, Namespace: k.namespace, Name: k.name, Start: start, Duration: end.Sub(start), Result: outcome}
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.byKey[k]
	failures := 0
	if e != nil {
		failures = e.run.Failures
	}
	switch {
	case err != nil:
		// Returned to controller-runtime, which retries with its backoff
		// and ignores RequeueAfter.
		run.Result = RunError
		run.Failures = failures + 1
		run.Backoff = true
		run.Next = end.Add(backoff(run.Failures))
	case res.RequeueAfter > 0:
		run.Next = end.Add(res.RequeueAfter)
		if outcome == RunError {
			run.Failures = failures + 1
		}
	}
	if e == nil {
		e = &runEntry{key: k}
		e.elem = l.order.PushFront(e)
		l.byKey[k] = e
	} else {
		l.order.MoveToFront(e.elem)
	}
	e.run = run
	for len(l.byKey) > l.max {
		l.remove(l.order.Back().Value.(*runEntry))
	}
}

func (l *runLog) forget(k runKey) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if e := l.byKey[k]; e != nil {
		l.remove(e)
	}
}

// remove drops e; the caller holds mu.
func (l *runLog) remove(e *runEntry) {
	l.order.Remove(e.elem)
	delete(l.byKey, e.key)
}

func (l *runLog) get(k runKey) (Run, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if e := l.byKey[k]; e != nil {
		return e.run, true
	}
	return Run{}, false
}

func (l *runLog) all() []Run {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]Run, 0, len(l.byKey))
	for _, e := range l.byKey {
		out = append(out, e.run)
	}
	return out
}

// outcomeOf names the outcome of the phases.
func outcomeOf(err error) string {
	var stalled *StalledError
	var waiting *WaitingError
	switch {
	case err == nil:
		return RunSuccess
	case errors.As(err, &stalled):
		return RunStalled
	case errors.As(err, &waiting):
		return RunRequeue
	}
	return RunError
}
