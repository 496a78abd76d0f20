package reconcile

import (
	"context"
	"errors"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	"github.com/ferrycd/ferry/internal/metrics"
	"github.com/ferrycd/ferry/internal/status"
)

// Object is the part of a Flux object (of its storage version) that the
// skeleton works with.
type Object interface {
	client.Object
	status.Setter
	// GetRequeueAfter returns spec.interval.
	GetRequeueAfter() time.Duration
	// IsSuspended returns spec.suspend.
	IsSuspended() bool
	SetObservedGeneration(int64)
	SetLastHandledReconcileRequest(string)
}

// retrier is an object with spec.retryInterval, after which a failed
// reconciliation is tried again.
type retrier interface {
	GetRetryInterval() time.Duration
}

// Skeleton reconciles the objects of one kind: it is the controller-runtime
// Reconciler, and the kind supplies its phases.
type Skeleton[T Object] struct {
	// Client reads the objects and patches their finalizers and status.
	Client client.Client
	// Kind names the kind in metrics and messages ("GitRepository").
	Kind string
	// Finalizer is added before the first reconciliation and removed once
	// Finalize has succeeded; empty for a kind that makes nothing to clean
	// up (Flux's Providers and Alerts have no finalizer), which then is
	// deleted without waiting for ferry.
	Finalizer string
	// New returns an empty object of the kind.
	New func() T
	// Phases runs one reconciliation of an object that is neither deleted
	// nor suspended. It sets the conditions; its error is the outcome (nil,
	// Stalled, Waiting or transient). patcher can show progress mid-way.
	Phases func(ctx context.Context, obj T, patcher *status.Patcher) error
	// Finalize cleans up what the object made before its finalizer is
	// removed; nil when there is nothing to clean up. An error keeps the
	// finalizer and is retried with backoff.
	Finalize func(ctx context.Context, obj T) error
	// Forget, if set, drops what the kind remembers in memory about an
	// object once its finalizer is removed.
	Forget func(obj T)
	// JitterPercentage spreads the requeue after a success over
	// spec.interval ± this percentage; zero means DefaultJitterPercentage,
	// negative none.
	JitterPercentage int
}

// Reconcile brings one object to its desired state. Whatever happens, the
// status is finished (Finish) and patched and the metrics recorded.
func (s *Skeleton[T]) Reconcile(ctx context.Context, req ctrl.Request) (result ctrl.Result, retErr error) {
	start := time.Now()
	log := ctrl.LoggerFrom(ctx)

	// Remember the run for the UI's engine panel once everything below,
	// the status patch included, is done; outcome "" remembers none.
	key := runKey{s.Kind, req.Namespace, req.Name}
	outcome := RunError
	defer func() {
		if outcome != "" {
			runs.record(key, start, outcome, result, retErr)
		}
	}()

	obj := s.New()
	if err := s.Client.Get(ctx, req.NamespacedName, obj); err != nil {
		if apierrors.IsNotFound(err) {
			metrics.Forget(s.Kind, req.Namespace, req.Name)
			outcome = ""
			runs.forget(key)
			return ctrl.Result{}, nil
		}
		return ctrl.Result{}, err
	}

	// Handle deletion first: clean up, then let go.
	if !obj.GetDeletionTimestamp().IsZero() {
		err := s.finalize(ctx, obj)
		if err == nil {
			outcome = ""
			runs.forget(key)
		}
		return ctrl.Result{}, err
	}

	// Add the finalizer before anything is made, so nothing outlives the object.
	if s.Finalizer != "" && !controllerutil.ContainsFinalizer(obj, s.Finalizer) {
		base := obj.DeepCopyObject().(client.Object)
		controllerutil.AddFinalizer(obj, s.Finalizer)
		if err := s.Client.Patch(ctx, obj, client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{})); err != nil {
			return ctrl.Result{}, fmt.Errorf("%s: adding finalizer: %w", s.describe(obj), err)
		}
	}

	// Finish and patch the status and record metrics whatever happens below.
	patcher := status.NewPatcher(obj, s.Client)
	defer func() {
		Finish(obj)
		if err := patcher.Patch(ctx, obj); err != nil && !apierrors.IsNotFound(err) {
			retErr = errors.Join(retErr, err)
		}
		metrics.Record(s.Kind, obj, obj.GetConditions(), obj.IsSuspended(), start)
	}()

	if obj.IsSuspended() {
		log.Info("reconciliation is suspended for this object")
		outcome = RunSuspended
		return ctrl.Result{}, nil
	}
	err := s.Phases(ctx, obj, patcher)
	outcome = outcomeOf(err)
	return s.result(ctx, obj, err)
}

// result maps the outcome of the phases to what controller-runtime does
// next (see the package documentation).
func (s *Skeleton[T]) result(ctx context.Context, obj T, err error) (ctrl.Result, error) {
	log := ctrl.LoggerFrom(ctx)
	var stalled *StalledError
	var waiting *WaitingError
	switch {
	case err == nil:
		return ctrl.Result{RequeueAfter: jittered(obj.GetRequeueAfter(), s.JitterPercentage)}, nil
	case errors.As(err, &stalled):
		// Misconfigured: the object must change before a retry can help.
		log.Info("reconciliation stalled", "reason", stalled.Reason, "error", err.Error())
		return ctrl.Result{}, nil
	case errors.As(err, &waiting):
		log.Info("waiting", "reason", waiting.Reason, "message", err.Error(), "retryIn", waiting.After.String())
		return ctrl.Result{RequeueAfter: waiting.After}, nil
	}
	if r, ok := any(obj).(retrier); ok && r.GetRetryInterval() > 0 {
		log.Info("reconciliation failed", "error", err.Error(), "retryIn", r.GetRetryInterval().String())
		return ctrl.Result{RequeueAfter: r.GetRetryInterval()}, nil
	}
	return ctrl.Result{}, fmt.Errorf("%s: %w", s.describe(obj), err)
}

// finalize runs Finalize and removes the finalizer, then forgets the
// object.
func (s *Skeleton[T]) finalize(ctx context.Context, obj T) error {
	if !controllerutil.ContainsFinalizer(obj, s.Finalizer) {
		return nil
	}
	if s.Finalize != nil {
		if err := s.Finalize(ctx, obj); err != nil {
			return fmt.Errorf("%s: %w", s.describe(obj), err)
		}
	}
	base := obj.DeepCopyObject().(client.Object)
	controllerutil.RemoveFinalizer(obj, s.Finalizer)
	if err := s.Client.Patch(ctx, obj, client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{})); err != nil {
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("%s: removing finalizer: %w", s.describe(obj), err)
	}
	metrics.Forget(s.Kind, obj.GetNamespace(), obj.GetName())
	if s.Forget != nil {
		s.Forget(obj)
	}
	return nil
}

func (s *Skeleton[T]) describe(obj T) string {
	return fmt.Sprintf("%s/%s/%s", s.Kind, obj.GetNamespace(), obj.GetName())
}
