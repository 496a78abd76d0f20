package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/ferrycd/ferry/api/meta"
)

// DeletedStatus is the status value gotk_reconcile_condition reports, as
// Flux does, for an object being deleted.
const DeletedStatus = "Deleted"

// statuses are the values of the status label of gotk_reconcile_condition.
var statuses = []string{
	string(metav1.ConditionTrue),
	string(metav1.ConditionFalse),
	string(metav1.ConditionUnknown),
	DeletedStatus,
}

var (
	reconcileDuration = prometheus.NewHistogramVec(
		prometheus.HistogramOpts{
			Name:    "gotk_reconcile_duration_seconds",
			Help:    "The duration in seconds of a GitOps Toolkit resource reconciliation.",
			Buckets: prometheus.ExponentialBuckets(10e-3, 2, 10),
		},
		[]string{"kind", "name", "namespace"},
	)

	reconcileCondition = prometheus.NewGaugeVec(
		prometheus.GaugeOpts{
			Name: "gotk_reconcile_condition",
			Help: "The current condition status of a GitOps Toolkit resource reconciliation.",
		},
		[]string{"kind", "name", "namespace", "type", "status"},
	)

	suspendStatus = prometheus.NewGaugeVec(
		prometheus.GaugeOpts{
			Name: "gotk_suspend_status",
			Help: "The current suspend status of a GitOps Toolkit resource.",
		},
		[]string{"kind", "name", "namespace"},
	)
)

func init() {
	crmetrics.Registry.MustRegister(reconcileDuration, reconcileCondition, suspendStatus)
}

// Record records the outcome of one reconciliation of obj, started at start:
// its duration, its Ready condition and whether it is suspended.
//
// As Flux's controllers do (fluxcd/pkg runtime/controller RecordReadiness),
// gotk_reconcile_condition carries the Ready condition only, with one series
// per status: an absent Ready counts as Unknown, and an object being deleted
// reports status Deleted.
func Record(kind string, obj client.Object, conds []metav1.Condition, suspended bool, start time.Time) {
	name, namespace := obj.GetName(), obj.GetNamespace()
	if !start.IsZero() {
		reconcileDuration.WithLabelValues(kind, name, namespace).Observe(time.Since(start).Seconds())
	}

	status := readyStatus(conds)
	if !obj.GetDeletionTimestamp().IsZero() {
		status = DeletedStatus
	}
	for _, s := range statuses {
		v := 0.0
		if s == status {
			v = 1
		}
		reconcileCondition.WithLabelValues(kind, name, namespace, meta.ReadyCondition, s).Set(v)
	}

	v := 0.0
	if suspended {
		v = 1
	}
	suspendStatus.WithLabelValues(kind, name, namespace).Set(v)
}

// Forget removes every series of the object, for use once it is gone from
// the cluster.
func Forget(kind, namespace, name string) {
	labels := prometheus.Labels{"kind": kind, "name": name, "namespace": namespace}
	reconcileDuration.DeletePartialMatch(labels)
	reconcileCondition.DeletePartialMatch(labels)
	suspendStatus.DeletePartialMatch(labels)
}

// readyStatus returns the status of the Ready condition in conds, Unknown
// when there is none.
func readyStatus(conds []metav1.Condition) string {
	if c := apimeta.FindStatusCondition(conds, meta.ReadyCondition); c != nil &&
		(c.Status == metav1.ConditionTrue || c.Status == metav1.ConditionFalse) {
		return string(c.Status)
	}
	return string(metav1.ConditionUnknown)
}
