package kustomization

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/fluxcd/cli-utils/pkg/kstatus/polling/engine"
	"github.com/fluxcd/cli-utils/pkg/object"
	"github.com/fluxcd/pkg/ssa"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/api/meta"
	"github.com/ferrycd/ferry/internal/apply"
	"github.com/ferrycd/ferry/internal/build"
	"github.com/ferrycd/ferry/internal/cel"
	"github.com/ferrycd/ferry/internal/status"
)

// defaultHealthCheckInterval is how often a health check that cannot be
// answered from the shared informers (another cluster, or an impersonated
// ServiceAccount's spec.healthChecks) polls the objects it waits for.
const defaultHealthCheckInterval = 500 * time.Millisecond

func (r *Reconciler) healthCheckInterval() time.Duration {
	if r.HealthCheckInterval > 0 {
		return r.HealthCheckInterval
	}
	return defaultHealthCheckInterval
}

// checkHealth runs the health assessment of spec.wait (every applied object)
// or spec.healthChecks (the listed objects), as kustomize-controller does:
// it waits until the objects are ready per kstatus (or, for the kinds of
// spec.healthCheckExprs, per their CEL expressions), within what is left of
// spec.timeout, and reports the Healthy condition. It fails fast when an
// object reports failure.
//
// Waiting does not hold a worker: the objects are read once here, and when
// some are still in progress the check goes on in the reconciler's
// Watcher (see apply.Watcher), which enqueues the Kustomization when it
// ends; the reconciliation returns waiting (Ready Unknown, Reconciling)
// and the next one, finding the check over for the same build inputs,
// finishes it (see finishWait). A new revision with other inputs, or a
// new generation, cancels the check and applies at once.
func (r *Reconciler) checkHealth(ctx context.Context, obj *kustomizev1.Kustomization, m *apply.Manager,
	objects []*unstructured.Unstructured, cs *ssa.ChangeSet, revision string, in *inputs) *phaseError {
	if !obj.Spec.Wait && len(obj.Spec.HealthChecks) == 0 {
		status.Delete(obj, meta.HealthyCondition)
		return nil
	}
	var set object.ObjMetadataSet
	if obj.Spec.Wait {
		set = apply.WaitSet(cs)
	} else {
		set = healthCheckSet(obj.Spec.HealthChecks)
	}
	set = withoutSelf(set, obj)
	if len(set) == 0 {
		// Nothing to check (as in Flux): no Healthy condition.
		status.Delete(obj, meta.HealthyCondition)
		return nil
	}
	readers, err := cel.StatusReaders(ctx, m.RESTMapper(), cel.HealthChecks(obj.Spec.HealthCheckExprs))
	if err != nil {
		pe := r.fail(obj, meta.HealthCheckFailedReason, fmt.Errorf("spec.%w", err))
		status.MarkFalse(obj, meta.HealthyCondition, meta.HealthCheckFailedReason, "%s", pe.err)
		status.MarkStalled(obj, meta.HealthCheckFailedReason, "%s", pe.err)
		pe.stalled = true
		return pe
	}
	w := &pendingWait{in: in, start: time.Now(), wasHealthy: isHealthy(obj)}
	timeout := obj.GetTimeout()
	if d, ok := ctx.Deadline(); ok {
		timeout = time.Until(d)
	}
	markWaiting(obj, revision)
	hc, done, err := m.CheckHealth(ctx, set, apply.WaitOptions{StatusReaders: readers, JobsWithTTL: apply.JobsWithTTL(objects)})
	if done {
		return r.healthOutcome(obj, revision, w, err)
	}
	if ctx.Err() != nil {
		return r.healthOutcome(obj, revision, w, hc.TimeoutError())
	}

	// Go on off the worker. The shared informers answer with ferry's own
	// rights; a check on another cluster, or of spec.healthChecks (objects
	// not applied) for an impersonated ServiceAccount, polls with the
	// target's own client instead.
	var direct engine.ClusterReader
	if obj.Spec.KubeConfig != nil || !obj.Spec.Wait && r.impersonates(obj) {
		direct = m.Direct(hc)
	}
	key := client.ObjectKeyFromObject(obj)
	w.cancel = r.health.Watch(hc, time.Now().Add(timeout), direct, r.healthCheckInterval(), func(err error) {
		w.finish(err)
		r.wake(key)
	})
	r.memory.waits.Store(obj.UID, w)
	return &phaseError{reason: meta.ProgressingReason, err: errors.New(waitingMessage(obj, revision)), waiting: true, waitFor: timeout}
}

// pendingWait is a health check going on off the workers.
type pendingWait struct {
	in         *inputs // the build whose objects it checks
	start      time.Time
	wasHealthy bool
	cancel     func()

	mu   sync.Mutex
	done bool
	err  error
}

func (w *pendingWait) finish(err error) {
	w.mu.Lock()
	w.done, w.err = true, err
	w.mu.Unlock()
}

func (w *pendingWait) result() (bool, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.done, w.err
}

// finishWait handles the health check obj's last reconciliation left
// running, if any: when the artifact of revision in dir still has the
// inputs that check's build read (see inputs), it reports the check still
// running, or its outcome, with handled true; otherwise it cancels the
// check, and the revision is built and applied.
func (r *Reconciler) finishWait(ctx context.Context, obj *kustomizev1.Kustomization, dir, revision string, sub *build.Substitution) (handled bool, pe *phaseError) {
	v, ok := r.memory.waits.Load(obj.UID)
	if !ok {
		return false, nil
	}
	w := v.(*pendingWait)
	if !r.unchangedSince(ctx, w.in, obj, dir, sub) {
		log.FromContext(ctx).Info("cancelling the health check of other build inputs", "revision", revision)
		r.cancelWait(obj)
		return false, nil
	}
	obj.Status.LastAttemptedRevision = revision
	done, err := w.result()
	if !done {
		markWaiting(obj, revision)
		return true, &phaseError{reason: meta.ProgressingReason, err: errors.New(waitingMessage(obj, revision)),
			waiting: true, waitFor: time.Until(w.start.Add(obj.GetTimeout()))}
	}
	r.memory.waits.Delete(obj.UID)
	if pe := r.healthOutcome(obj, revision, w, err); pe != nil {
		return true, pe
	}
	w.in.revision = revision
	obj.Status.LastAppliedRevision = revision
	status.MarkReady(obj, meta.ReconciliationSucceededReason, "Applied revision: %s", revision)
	r.memory.inputs.Store(obj.UID, w.in)
	return true, nil
}

// cancelWait cancels the health check running for obj, if any.
func (r *Reconciler) cancelWait(obj *kustomizev1.Kustomization) {
	if v, ok := r.memory.waits.LoadAndDelete(obj.UID); ok {
		v.(*pendingWait).cancel()
	}
}

// healthOutcome reports the end of a health check in the Healthy
// condition (and Ready, on failure).
func (r *Reconciler) healthOutcome(obj *kustomizev1.Kustomization, revision string, w *pendingWait, err error) *phaseError {
	if err != nil {
		err = fmt.Errorf("health check of revision %s failed: %w", revision, err)
		status.MarkFalse(obj, meta.HealthyCondition, meta.HealthCheckFailedReason, "%s", err)
		return r.fail(obj, meta.HealthCheckFailedReason, err)
	}
	msg := fmt.Sprintf("Health check passed in %s", time.Since(w.start).Round(time.Millisecond))
	// Announce a first pass, a recovery or a new revision, as Flux does.
	if !w.wasHealthy || obj.Status.LastAppliedRevision != revision {
		r.normal(obj, revision, meta.SucceededReason, msg)
	}
	status.MarkTrue(obj, meta.HealthyCondition, meta.SucceededReason, "%s", msg)
	return nil
}

// waitingMessage says what a Kustomization waits for.
func waitingMessage(obj *kustomizev1.Kustomization, revision string) string {
	return fmt.Sprintf("Running health checks for revision %s with a timeout of %s", revision, obj.GetTimeout())
}

// markWaiting marks obj waiting on its health check.
func markWaiting(obj *kustomizev1.Kustomization, revision string) {
	msg := waitingMessage(obj, revision)
	status.MarkUnknown(obj, meta.HealthyCondition, meta.ProgressingReason, "%s", msg)
	status.MarkUnknown(obj, meta.ReadyCondition, meta.ProgressingReason, "%s", msg)
	status.MarkReconciling(obj, meta.ProgressingReason, "%s", msg)
}

// isHealthy reports Healthy=True.
func isHealthy(obj *kustomizev1.Kustomization) bool {
	c := status.Get(obj, meta.HealthyCondition)
	return c != nil && c.Status == metav1.ConditionTrue
}

// healthCheckSet turns spec.healthChecks into the set of objects to wait for.
// As in Flux, an entry without a namespace names a cluster-scoped object.
func healthCheckSet(refs []meta.NamespacedObjectKindReference) object.ObjMetadataSet {
	set := make(object.ObjMetadataSet, 0, len(refs))
	for _, hc := range refs {
		gvk := schema.FromAPIVersionAndKind(hc.APIVersion, hc.Kind)
		set = append(set, object.ObjMetadata{Namespace: hc.Namespace, Name: hc.Name, GroupKind: gvk.GroupKind()})
	}
	return set
}

// withoutSelf drops the Kustomization itself from set: a Kustomization that
// applies itself (flux-system) would otherwise wait for its own readiness.
func withoutSelf(set object.ObjMetadataSet, obj *kustomizev1.Kustomization) object.ObjMetadataSet {
	out := set[:0:0]
	for _, o := range set {
		if o.GroupKind.Group == kustomizev1.GroupVersion.Group && o.GroupKind.Kind == kustomizev1.KustomizationKind &&
			o.Namespace == obj.Namespace && o.Name == obj.Name {
			continue
		}
		out = append(out, o)
	}
	return out
}
