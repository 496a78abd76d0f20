package gitrepository

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/tools/record"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/artifact"
	"github.com/ferrycd/ferry/internal/metrics"
	"github.com/ferrycd/ferry/internal/status"
)

// ControllerName names the controller in logs, metrics and as the source of
// events, like Flux's.
const ControllerName = "source-controller"

// DefaultArtifactRetention is how many artifacts of one object the storage
// keeps when Reconciler.ArtifactRetention is not set: the current one and
// the one before, which a consumer may still be fetching.
const DefaultArtifactRetention = 2

// Reconciler reconciles GitRepository objects into artifacts in Storage.
type Reconciler struct {
	client.Client
	// EventRecorder receives Kubernetes events; nil records none.
	EventRecorder record.EventRecorder
	// Storage holds and serves the artifacts.
	Storage *artifact.Storage
	// ArtifactRetention is how many artifacts per object survive garbage
	// collection; zero means DefaultArtifactRetention.
	ArtifactRetention int
	// MaxCheckoutSize bounds the bytes a checkout (with .git and the
	// included artifacts) may take on disk; zero means
	// DefaultMaxCheckoutSize. The artifact is bounded by Storage.MaxSize.
	MaxCheckoutSize int64
	// IntervalJitterPercentage spreads requeues over spec.interval ± this
	// percentage; zero means DefaultIntervalJitterPercentage, negative
	// disables the jitter.
	IntervalJitterPercentage int
	// DependencyRequeueInterval is how soon a GitRepository waiting for an
	// included one is retried; zero means DefaultDependencyRequeueInterval.
	DependencyRequeueInterval time.Duration
}

// Options tunes the controller SetupWithManager registers.
type Options struct {
	// MaxConcurrentReconciles is how many GitRepositories reconcile at
	// once; zero means one.
	MaxConcurrentReconciles int
}

// SetupWithManager registers the reconciler with mgr. It reconciles when
// the spec changes (generation), when a reconcile is requested through the
// reconcile.fluxcd.io/requestedAt annotation, on deletion, when an included
// GitRepository gets a new artifact, and every spec.interval (with jitter).
func (r *Reconciler) SetupWithManager(ctx context.Context, mgr ctrl.Manager, opts Options) error {
	if r.Storage == nil {
		return errors.New("gitrepository controller: artifact storage is required")
	}
	if err := mgr.GetFieldIndexer().IndexField(ctx, &sourcev1.GitRepository{}, includeIndexKey, indexIncludes); err != nil {
		return fmt.Errorf("gitrepository controller: indexing includes: %w", err)
	}
	return ctrl.NewControllerManagedBy(mgr).
		For(&sourcev1.GitRepository{}, builder.WithPredicates(
			predicate.Or(predicate.GenerationChangedPredicate{}, ReconcileRequestedPredicate{}, deletingPredicate{}),
		)).
		// A new artifact of an included GitRepository rebuilds its includers.
		Watches(&sourcev1.GitRepository{}, handler.EnqueueRequestsFromMapFunc(r.requestsForIncluders),
			builder.WithPredicates(artifactChangedPredicate{})).
		Named("gitrepository").
		WithOptions(controller.Options{MaxConcurrentReconciles: opts.MaxConcurrentReconciles}).
		Complete(r)
}

// Reconcile brings one GitRepository to its desired state. The status is
// patched and metrics recorded on every return.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (result ctrl.Result, retErr error) {
	start := time.Now()
	log := ctrl.LoggerFrom(ctx)

	obj := &sourcev1.GitRepository{}
	if err := r.Get(ctx, req.NamespacedName, obj); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}

	// Handle deletion first: remove the artifacts, then the finalizer.
	if !obj.DeletionTimestamp.IsZero() {
		defer func() {
			metrics.Record(sourcev1.GitRepositoryKind, obj, obj.Status.Conditions, obj.Spec.Suspend, start)
		}()
		return ctrl.Result{}, r.reconcileDelete(ctx, obj)
	}

	// Add the finalizer before anything is stored, so no artifact outlives
	// the object.
	if !controllerutil.ContainsFinalizer(obj, sourcev1.SourceFinalizer) {
		base := obj.DeepCopy()
		controllerutil.AddFinalizer(obj, sourcev1.SourceFinalizer)
		if err := r.Patch(ctx, obj, client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{})); err != nil {
			return ctrl.Result{}, fmt.Errorf("GitRepository/%s/%s: adding finalizer: %w", obj.Namespace, obj.Name, err)
		}
	}

	// Patch the status and record metrics whatever happens below.
	patcher := status.NewPatcher(obj, r.Client)
	defer func() {
		if err := patcher.Patch(ctx, obj); err != nil && !apierrors.IsNotFound(err) {
			retErr = errors.Join(retErr, err)
		}
		metrics.Record(sourcev1.GitRepositoryKind, obj, obj.Status.Conditions, obj.Spec.Suspend, start)
	}()

	// Acknowledge a reconcile request, as `flux reconcile` waits for it.
	if v, ok := meta.ReconcileAnnotationValue(obj.GetAnnotations()); ok {
		obj.Status.SetLastHandledReconcileRequest(v)
	}

	if obj.Spec.Suspend {
		log.Info("reconciliation is suspended for this object")
		return ctrl.Result{}, nil
	}

	return r.reconcile(ctx, obj, patcher)
}

// reconcileDelete removes every artifact of obj and then its finalizer.
func (r *Reconciler) reconcileDelete(ctx context.Context, obj *sourcev1.GitRepository) error {
	if !controllerutil.ContainsFinalizer(obj, sourcev1.SourceFinalizer) {
		return nil
	}
	if err := r.Storage.Remove(sourcev1.GitRepositoryKind, obj.Namespace, obj.Name); err != nil {
		r.event(obj, corev1.EventTypeWarning, "GarbageCollectionFailed", "garbage collection for deleted resource failed: %s", err)
		return fmt.Errorf("GitRepository/%s/%s: garbage collection for deleted resource failed: %w", obj.Namespace, obj.Name, err)
	}
	base := obj.DeepCopy()
	controllerutil.RemoveFinalizer(obj, sourcev1.SourceFinalizer)
	if err := r.Patch(ctx, obj, client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{})); err != nil {
		return client.IgnoreNotFound(fmt.Errorf("GitRepository/%s/%s: removing finalizer: %w", obj.Namespace, obj.Name, err))
	}
	ctrl.LoggerFrom(ctx).Info("garbage collected artifacts for deleted resource")
	return nil
}

// event records a Kubernetes event for obj when a recorder is set.
func (r *Reconciler) event(obj *sourcev1.GitRepository, eventType, reason, messageFormat string, args ...any) {
	r.annotatedEvent(obj, nil, eventType, reason, fmt.Sprintf(messageFormat, args...))
}

func (r *Reconciler) annotatedEvent(obj *sourcev1.GitRepository, annotations map[string]string, eventType, reason, message string) {
	if r.EventRecorder == nil {
		return
	}
	r.EventRecorder.AnnotatedEventf(obj, annotations, eventType, reason, "%s", message)
}

// ReconcileRequestedPredicate passes updates that change the
// reconcile.fluxcd.io/requestedAt annotation, so `flux reconcile` (which
// sets it) triggers a reconcile although the generation is unchanged.
type ReconcileRequestedPredicate struct {
	predicate.Funcs
}

// Update reports whether the reconcile request annotation changed.
func (ReconcileRequestedPredicate) Update(e event.UpdateEvent) bool {
	if e.ObjectOld == nil || e.ObjectNew == nil {
		return false
	}
	oldVal, _ := meta.ReconcileAnnotationValue(e.ObjectOld.GetAnnotations())
	newVal, ok := meta.ReconcileAnnotationValue(e.ObjectNew.GetAnnotations())
	return ok && newVal != oldVal
}

// deletingPredicate passes the update that starts a deletion, which does
// not always change the generation.
type deletingPredicate struct {
	predicate.Funcs
}

func (deletingPredicate) Update(e event.UpdateEvent) bool {
	return e.ObjectOld != nil && e.ObjectNew != nil &&
		e.ObjectOld.GetDeletionTimestamp().IsZero() && !e.ObjectNew.GetDeletionTimestamp().IsZero()
}
