package source

import (
	"errors"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferrycd/ferry/api/meta"
	"github.com/ferrycd/ferry/internal/events"
	"github.com/ferrycd/ferry/internal/reconcile"
	"github.com/ferrycd/ferry/internal/status"
)

// Failure is a source reconcile failure with the reasons to report it
// under.
type Failure struct {
	// CondType is the negative-polarity condition that records it
	// (FetchFailed or StorageOperationFailed); "" when the caller set a
	// condition of its own (SourceVerified=False).
	CondType string
	Reason   string
	Err      error
	// Stalled failures need a spec change; retrying cannot help.
	Stalled bool
	// Waiting failures (a dependency not ready) are retried after this
	// long, without an error and its backoff.
	Waiting time.Duration
}

func (f *Failure) Error() string { return f.Err.Error() }
func (f *Failure) Unwrap() error { return f.Err }

// Object is a source object whose conditions a failure is recorded on.
type Object interface {
	client.Object
	status.Setter
}

// Fail records f on obj: its condition, Ready=False with the same reason
// and message, Stalled or Reconciling (with retry), and a Warning event. It
// returns the outcome: Stalled for a misconfigured object, Waiting for one
// waiting on another, else a transient error that is retried with
// backoff. redact, when set, scrubs secret values from the message.
func Fail(obj Object, rec *events.Recorder, f *Failure, redact func(string) string) error {
	msg := f.Err.Error()
	if redact != nil {
		msg = redact(msg)
	}
	if f.CondType != "" {
		status.MarkTrue(obj, f.CondType, f.Reason, "%s", msg)
	}
	status.MarkFalse(obj, meta.ReadyCondition, f.Reason, "%s", msg)
	rec.Warning(obj, f.Reason, msg, nil)
	err := errors.New(msg)
	if f.Stalled {
		status.MarkStalled(obj, f.Reason, "%s", msg)
		return reconcile.Stalled(f.Reason, err)
	}
	if f.Waiting > 0 {
		status.MarkReconciling(obj, meta.ProgressingWithRetryReason, "%s", msg)
		return reconcile.Waiting(f.Reason, f.Waiting, err)
	}
	progress := msg
	if c := status.Get(obj, meta.ReconcilingCondition); c != nil {
		progress = c.Message
	}
	status.MarkReconciling(obj, meta.ProgressingWithRetryReason, "%s", progress)
	return err
}
