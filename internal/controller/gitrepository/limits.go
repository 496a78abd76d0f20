package gitrepository

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ferrycd/ferry/api/meta"
	"github.com/ferrycd/ferry/internal/artifact"
)

// Size limits: the checkout on disk (Reconciler.MaxCheckoutSize), watched
// while the clone runs, and the artifact (the storage's MaxSize).

const (
	// DefaultMaxCheckoutSize bounds the bytes a checkout (working tree and
	// .git, with the included artifacts) may take on disk when
	// Reconciler.MaxCheckoutSize is not set.
	DefaultMaxCheckoutSize int64 = 1 << 30

	// CheckoutTooLargeReason: the checkout passed the size limit.
	CheckoutTooLargeReason = "CheckoutTooLarge"

	// checkoutPollInterval is how often the size of a checkout in progress
	// is measured.
	checkoutPollInterval = 200 * time.Millisecond
)

func (r *Reconciler) maxCheckoutSize() int64 {
	if r.MaxCheckoutSize > 0 {
		return r.MaxCheckoutSize
	}
	return DefaultMaxCheckoutSize
}

func (r *Reconciler) maxArtifactSize() int64 {
	if r.Storage.MaxSize > 0 {
		return r.Storage.MaxSize
	}
	return artifact.DefaultMaxSize
}

// watchCheckout measures dir while a clone writes into it and calls cancel
// once it passes the checkout limit, so a huge repository cannot fill the
// disk. The returned function stops the watch and returns the failure
// when the limit was passed.
func (r *Reconciler) watchCheckout(cancel context.CancelFunc, dir string) func() *failure {
	limit := r.maxCheckoutSize()
	done := make(chan struct{})
	var wg sync.WaitGroup
	var exceeded bool
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(checkoutPollInterval)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if _, err := artifact.DirSize(dir, limit); errors.Is(err, artifact.ErrTooLarge) {
					exceeded = true
					cancel()
					return
				}
			}
		}
	}()
	return func() *failure {
		close(done)
		wg.Wait()
		if !exceeded {
			// Catch what was written since the last measure.
			if _, err := artifact.DirSize(dir, limit); !errors.Is(err, artifact.ErrTooLarge) {
				return nil
			}
		}
		return r.checkoutFailure(artifact.ErrTooLarge)
	}
}

// checkoutFailure reports a checkout past the limit, or another error
// measuring it.
func (r *Reconciler) checkoutFailure(err error) *failure {
	if errors.Is(err, artifact.ErrTooLarge) {
		return &failure{CondType: meta.FetchFailedCondition, Reason: CheckoutTooLargeReason,
			Err: fmt.Errorf("repository checkout exceeds the maximum checkout size of %d bytes", r.maxCheckoutSize())}
	}
	return &failure{CondType: meta.StorageOperationFailedCondition, Reason: meta.StatOperationFailedReason,
		Err: fmt.Errorf("failed to measure the checkout: %w", err)}
}

// archiveFailure reports a failed Archive, naming the limit when the
// artifact was too large.
func (r *Reconciler) archiveFailure(err error) *failure {
	if errors.Is(err, artifact.ErrTooLarge) {
		err = fmt.Errorf("artifact exceeds the maximum artifact size of %d bytes", r.maxArtifactSize())
	}
	return &failure{CondType: meta.StorageOperationFailedCondition, Reason: meta.ArchiveOperationFailedReason,
		Err: fmt.Errorf("unable to archive artifact to storage: %w", err)}
}
