package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
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
// its duration, its conditions and whether it is suspended.
//
// Ready, Reconciling and Stalled are always recorded: an absent Ready counts
// as Unknown, an absent Reconciling or Stalled as False (kstatus only keeps
// them while True). Any other condition in conds is recorded too. For an
// object being deleted every recorded type reports status Deleted.
func Record(kind string, obj client.Object, conds []metav1.Condition, suspended bool, start time.Time) {
	name, namespace := obj.GetName(), obj.GetNamespace()
	if !start.IsZero() {
		reconcileDuration.WithLabelValues(kind, name, namespace).Observe(time.Since(start).Seconds())
	}

	deleted := !obj.GetDeletionTimestamp().IsZero()
	for condType, status := range conditionStatuses(conds) {
		if deleted {
			status = DeletedStatus
		}
		for _, s := range statuses {
			v := 0.0
			if s == status {
				v = 1
			}
			reconcileCondition.WithLabelValues(kind, name, namespace, condType, s).Set(v)
		}
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

// conditionStatuses maps each condition type to record to its status.
func conditionStatuses(conds []metav1.Condition) map[string]string {
	out := map[string]string{
		meta.ReadyCondition:       string(metav1.ConditionUnknown),
		meta.ReconcilingCondition: string(metav1.ConditionFalse),
		meta.StalledCondition:     string(metav1.ConditionFalse),
	}
	for _, c := range conds {
		if c.Type == "" {
			continue
		}
		switch c.Status {
		case metav1.ConditionTrue, metav1.ConditionFalse, metav1.ConditionUnknown:
			out[c.Type] = string(c.Status)
		default:
			out[c.Type] = string(metav1.ConditionUnknown)
		}
	}
	return out
}
