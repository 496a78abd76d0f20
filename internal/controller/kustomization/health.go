package kustomization

import (
	"context"
	"errors"
	"fmt"
	"time"

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
	"github.com/ferrycd/ferry/internal/cel"
	"github.com/ferrycd/ferry/internal/status"
)

// defaultHealthCheckInterval is how often a health check polls the objects
// it waits for. Flux polls every five seconds; ferry polls faster, since a
// worker waiting on a health check cannot reconcile anything else.
const defaultHealthCheckInterval = 500 * time.Millisecond

// sourcePollInterval is how often a health check looks for a new source
// revision (in the informer cache; no API request), which cancels it.
const sourcePollInterval = time.Second

// errNewRevision is the cause of a health check cancelled because the source
// moved on to another revision.
var errNewRevision = errors.New("the source has a new revision")

// errChanged is the cause of a health check cancelled because the
// Kustomization itself changed (new generation) or is being deleted.
var errChanged = errors.New("the Kustomization changed")

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
// object reports failure, and gives up early when the source gets a new
// revision, so that the new revision is applied without waiting out the
// timeout of the old one.
func (r *Reconciler) checkHealth(ctx context.Context, obj *kustomizev1.Kustomization, m *apply.Manager,
	objects []*unstructured.Unstructured, cs *ssa.ChangeSet, revision string, prog *progress) *phaseError {
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
	start := time.Now()
	wasHealthy := status.Get(obj, meta.HealthyCondition) != nil && status.Get(obj, meta.HealthyCondition).Status == metav1.ConditionTrue
	timeout := obj.GetTimeout()
	if d, ok := ctx.Deadline(); ok {
		timeout = time.Until(d)
	}
	status.MarkUnknown(obj, meta.HealthyCondition, meta.ProgressingReason,
		"Running health checks for revision %s with a timeout of %s", revision, obj.GetTimeout())
	status.MarkReconciling(obj, meta.ProgressingReason,
		"Running health checks for revision %s with a timeout of %s", revision, obj.GetTimeout())
	prog.report(ctx, obj)

	waitCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stop := r.cancelOnNewRevision(waitCtx, obj, revision, cancel)
	err = m.Wait(waitCtx, set, apply.WaitOptions{
		Timeout: timeout, Interval: r.healthCheckInterval(), StatusReaders: readers,
		JobsWithTTL: apply.JobsWithTTL(objects),
	})
	stop()
	if err != nil {
		if cause := context.Cause(waitCtx); errors.Is(cause, errNewRevision) || errors.Is(cause, errChanged) {
			msg := fmt.Sprintf("health check of revision %s cancelled: %s", revision, cause)
			status.MarkUnknown(obj, meta.HealthyCondition, meta.ProgressingReason, "%s", msg)
			status.MarkUnknown(obj, meta.ReadyCondition, meta.ProgressingReason, "%s", msg)
			status.MarkReconciling(obj, meta.ProgressingReason, "%s", msg)
			return &phaseError{reason: meta.ProgressingReason, err: errors.New(msg), retrySooner: true}
		}
		err = fmt.Errorf("health check of revision %s failed: %w", revision, err)
		status.MarkFalse(obj, meta.HealthyCondition, meta.HealthCheckFailedReason, "%s", err)
		return r.fail(obj, meta.HealthCheckFailedReason, err)
	}
	msg := fmt.Sprintf("Health check passed in %s", time.Since(start).Round(time.Millisecond))
	// Announce a first pass, a recovery or a new revision, as Flux does.
	if !wasHealthy || obj.Status.LastAppliedRevision != revision {
		r.normal(obj, revision, meta.SucceededReason, msg)
	}
	status.MarkTrue(obj, meta.HealthyCondition, meta.SucceededReason, "%s", msg)
	return nil
}

// cancelOnNewRevision watches the source and the Kustomization (in the
// cache) while a health check runs, and cancels it with errNewRevision when
// the source's artifact has another revision, or with errChanged when the
// Kustomization has a new generation or is being deleted, so that the change
// is acted on at once. The returned function stops the watch.
func (r *Reconciler) cancelOnNewRevision(ctx context.Context, obj *kustomizev1.Kustomization, revision string,
	cancel context.CancelCauseFunc) func() {
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(sourcePollInterval)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
			}
			current := &kustomizev1.Kustomization{}
			if err := r.Get(ctx, client.ObjectKeyFromObject(obj), current); err == nil &&
				(current.Generation != obj.Generation || !current.DeletionTimestamp.IsZero()) {
				log.FromContext(ctx).Info("cancelling the health check of a changed Kustomization", "revision", revision)
				cancel(fmt.Errorf("%w (generation %d)", errChanged, current.Generation))
				return
			}
			src, err := r.getSource(ctx, obj)
			if err != nil {
				continue
			}
			if art := src.GetArtifact(); art != nil && !art.HasRevision(revision) {
				log.FromContext(ctx).Info("cancelling the health check of an old revision", "revision", revision, "newRevision", art.Revision)
				cancel(fmt.Errorf("%w %s", errNewRevision, art.Revision))
				return
			}
		}
	}()
	return func() { close(done) }
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
