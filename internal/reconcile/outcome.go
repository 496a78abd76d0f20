package reconcile

import (
	"errors"
	"time"
)

// StalledError is the outcome of a misconfigured object: retrying cannot
// help until the object changes.
type StalledError struct {
	// Reason is the Ready (and Stalled) condition reason.
	Reason string
	Err    error
}

func (e *StalledError) Error() string { return e.Err.Error() }
func (e *StalledError) Unwrap() error { return e.Err }

// Stalled returns the outcome of a misconfigured object.
func Stalled(reason string, err error) error {
	return &StalledError{Reason: reason, Err: err}
}

// WaitingError is the outcome of an object waiting for another one (a
// source without an artifact, a dependency not ready): not a failure of its
// own, so it is retried after After without an error and its backoff.
type WaitingError struct {
	Reason string
	Err    error
	After  time.Duration
}

func (e *WaitingError) Error() string { return e.Err.Error() }
func (e *WaitingError) Unwrap() error { return e.Err }

// Waiting returns the outcome of an object that looks again after after.
func Waiting(reason string, after time.Duration, err error) error {
	return &WaitingError{Reason: reason, Err: err, After: after}
}

// IsStalled reports whether err is a Stalled outcome.
func IsStalled(err error) bool {
	var s *StalledError
	return errors.As(err, &s)
}
