package kustomization

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/record"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/log"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/api/meta"
	"github.com/ferrycd/ferry/internal/apply"
	"github.com/ferrycd/ferry/internal/artifact"
	"github.com/ferrycd/ferry/internal/metrics"
	"github.com/ferrycd/ferry/internal/status"
)

// ControllerName is the name the controller's events and logs carry, Flux's.
const ControllerName = "kustomize-controller"

// Reconciler reconciles Flux Kustomizations.
type Reconciler struct {
	client.Client

	// EventRecorder records Kubernetes events about Kustomizations; nil
	// records none.
	EventRecorder record.EventRecorder

	// Fetcher gets and unpacks source artifacts.
	Fetcher *artifact.Fetcher

	// TempDir is where artifacts are unpacked for a build; empty means the
	// system temporary directory.
	TempDir string

	// DependencyRequeueInterval is how long to wait for a source that has no
	// artifact yet, or for a dependency (spec.dependsOn) that is not Ready,
	// before trying again; zero means 30 seconds. A dependency that becomes
	// Ready starts its dependents at once, whatever this interval.
	DependencyRequeueInterval time.Duration

	// HealthCheckInterval is how often a health check (spec.wait,
	// spec.healthChecks) polls the objects it waits for; zero means 500ms.
	HealthCheckInterval time.Duration

	// artifacts shares unpacked artifacts between reconciliations.
	artifactsOnce sync.Once
	artifacts     *artifactCache

	// RESTConfig is ferry's own configuration, from which the clients that
	// impersonate a ServiceAccount are made; nil means the manager's.
	RESTConfig *rest.Config

	// APIReader reads ServiceAccounts and kubeconfig Secrets straight from
	// the API server (no cache of every Secret); nil means the manager's.
	APIReader client.Reader

	// DefaultServiceAccount is impersonated for Kustomizations without
	// spec.serviceAccountName (--default-service-account); empty means
	// ferry's own rights.
	DefaultServiceAccount string

	// NoCrossNamespaceRefs refuses Kustomizations whose sourceRef or
	// dependsOn names another namespace (--no-cross-namespace-refs).
	NoCrossNamespaceRefs bool
}

// Reconcile brings one Kustomization in line with its source.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (result ctrl.Result, retErr error) {
	start := time.Now()
	logger := log.FromContext(ctx)

	obj := &kustomizev1.Kustomization{}
	if err := r.Get(ctx, req.NamespacedName, obj); err != nil {
		if apierrors.IsNotFound(err) {
			metrics.Forget(kustomizev1.KustomizationKind, req.Namespace, req.Name)
			return ctrl.Result{}, nil
		}
		return ctrl.Result{}, err
	}

	// Handle deletion: prune what was applied (per deletionPolicy), then let go.
	if !obj.DeletionTimestamp.IsZero() {
		return r.finalize(ctx, obj)
	}

	// Add the finalizer before anything is applied, so nothing applied is ever orphaned.
	if !controllerutil.ContainsFinalizer(obj, kustomizev1.KustomizationFinalizer) {
		before := obj.DeepCopy()
		controllerutil.AddFinalizer(obj, kustomizev1.KustomizationFinalizer)
		if err := r.Patch(ctx, obj, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{})); err != nil {
			return ctrl.Result{}, fmt.Errorf("adding finalizer: %w", err)
		}
	}

	// Patch the status, record metrics and finish the conditions whatever happens next.
	patcher := status.NewPatcher(obj, r.Client)
	defer func() {
		finishStatus(obj)
		if err := patcher.Patch(ctx, obj); err != nil && !apierrors.IsNotFound(err) {
			retErr = errors.Join(retErr, err)
		}
		metrics.Record(kustomizev1.KustomizationKind, obj, obj.Status.Conditions, obj.Spec.Suspend, start)
	}()

	if obj.Spec.Suspend {
		logger.Info("reconciliation is suspended for this object")
		return ctrl.Result{}, nil
	}

	return r.reconcile(ctx, obj, patcher)
}

// finishStatus settles the conditions at the end of a reconciliation, as
// kstatus expects: the request annotation is echoed; a Ready or Stalled
// object has observed its generation and is no longer Reconciling; a failed
// one keeps Reconciling with reason ProgressingWithRetry.
func finishStatus(obj *kustomizev1.Kustomization) {
	if v, ok := meta.ReconcileAnnotationValue(obj.GetAnnotations()); ok {
		obj.Status.SetLastHandledReconcileRequest(v)
	}
	if status.IsReady(obj) || status.IsStalled(obj) {
		status.ClearReconciling(obj)
		obj.Status.ObservedGeneration = obj.Generation
	}
	if rc := status.Get(obj, meta.ReconcilingCondition); rc != nil && !status.IsReady(obj) {
		if ready := status.Get(obj, meta.ReadyCondition); ready != nil && ready.Status == metav1.ConditionFalse {
			status.MarkReconciling(obj, meta.ProgressingWithRetryReason, "%s", rc.Message)
		}
	}
}

// finalize deletes what the Kustomization applied, when its deletionPolicy
// says so, and removes the finalizer.
func (r *Reconciler) finalize(ctx context.Context, obj *kustomizev1.Kustomization) (ctrl.Result, error) {
	logger := log.FromContext(ctx)
	if !controllerutil.ContainsFinalizer(obj, kustomizev1.KustomizationFinalizer) {
		return ctrl.Result{}, nil
	}
	policy := obj.GetDeletionPolicy()
	prune := policy == kustomizev1.DeletionPolicyDelete || policy == kustomizev1.DeletionPolicyWaitForTermination ||
		policy == kustomizev1.DeletionPolicyMirrorPrune && obj.Spec.Prune
	if prune && !obj.Spec.Suspend && obj.Status.Inventory != nil && len(obj.Status.Inventory.Entries) > 0 {
		objs, err := apply.Objects(obj.Status.Inventory)
		if err != nil {
			// A corrupt inventory cannot be pruned; do not block the deletion on it.
			logger.Error(err, "skipping garbage collection of a corrupt inventory")
		} else if kube, err := r.deletionClient(ctx, obj); err != nil {
			return ctrl.Result{}, fmt.Errorf("garbage collection of the deleted Kustomization failed: %w", err)
		} else if kube != nil {
			m := apply.NewManager(kube, apply.Owner{Name: obj.Name, Namespace: obj.Namespace})
			cs, err := m.Prune(ctx, objs)
			if err != nil {
				r.event(obj, obj.Status.LastAppliedRevision, "Warning", meta.PruneFailedReason,
					fmt.Sprintf("garbage collection of the deleted Kustomization failed%s: %v", r.actingAs(obj), err))
				return ctrl.Result{}, fmt.Errorf("garbage collection of the deleted Kustomization failed: %w", err)
			}
			if msg := changeSetMessage(cs, true); msg != "" {
				logger.Info("garbage collection completed", "changes", msg)
				r.event(obj, obj.Status.LastAppliedRevision, "Normal", "GarbageCollectionSucceeded", msg)
			}
			if policy == kustomizev1.DeletionPolicyWaitForTermination {
				if err := m.WaitForTermination(cs, obj.GetTimeout()); err != nil {
					return ctrl.Result{}, fmt.Errorf("waiting for the deleted objects to terminate: %w", err)
				}
			}
		}
	}

	before := obj.DeepCopy()
	controllerutil.RemoveFinalizer(obj, kustomizev1.KustomizationFinalizer)
	if err := r.Patch(ctx, obj, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{})); err != nil && !apierrors.IsNotFound(err) {
		return ctrl.Result{}, fmt.Errorf("removing finalizer: %w", err)
	}
	metrics.Forget(kustomizev1.KustomizationKind, obj.Namespace, obj.Name)
	forget(obj)
	return ctrl.Result{}, nil
}
