package reconcile

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ferrycd/ferry/api/meta"
	"github.com/ferrycd/ferry/internal/status"
)

// Finish settles the conditions at the end of a reconciliation, as kstatus
// expects: a reconcile request (reconcile.fluxcd.io/requestedAt) is
// acknowledged in status.lastHandledReconcileAt, which `flux reconcile`
// waits for; a Ready or Stalled object has observed its generation and is
// no longer Reconciling; a failed one that was Reconciling stays so with
// reason ProgressingWithRetry.
func Finish(obj Object) {
	if v, ok := meta.ReconcileAnnotationValue(obj.GetAnnotations()); ok {
		obj.SetLastHandledReconcileRequest(v)
	}
	if status.IsReady(obj) || status.IsStalled(obj) {
		status.ClearReconciling(obj)
		obj.SetObservedGeneration(obj.GetGeneration())
		return
	}
	if rc := status.Get(obj, meta.ReconcilingCondition); rc != nil {
		if ready := status.Get(obj, meta.ReadyCondition); ready != nil && ready.Status == metav1.ConditionFalse {
			status.MarkReconciling(obj, meta.ProgressingWithRetryReason, "%s", rc.Message)
		}
	}
}
