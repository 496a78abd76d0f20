package metrics

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/ferrycd/ferry/api/meta"
)

func condition(t string, s metav1.ConditionStatus) metav1.Condition {
	return metav1.Condition{Type: t, Status: s, Reason: "R"}
}

func TestRecordConditions(t *testing.T) {
	tests := map[string]struct {
		conds   []metav1.Condition
		deleted bool
		want    map[string]string // condition type -> status reported as 1
	}{
		"no conditions": {
			want: map[string]string{"Ready": "Unknown", "Reconciling": "False", "Stalled": "False"},
		},
		"ready": {
			conds: []metav1.Condition{condition(meta.ReadyCondition, metav1.ConditionTrue)},
			want:  map[string]string{"Ready": "True", "Reconciling": "False", "Stalled": "False"},
		},
		"stalled and failed": {
			conds: []metav1.Condition{
				condition(meta.StalledCondition, metav1.ConditionTrue),
				condition(meta.ReadyCondition, metav1.ConditionFalse),
			},
			want: map[string]string{"Ready": "False", "Reconciling": "False", "Stalled": "True"},
		},
		"other types are recorded": {
			conds: []metav1.Condition{
				condition(meta.ReconcilingCondition, metav1.ConditionTrue),
				condition(meta.HealthyCondition, metav1.ConditionFalse),
			},
			want: map[string]string{"Ready": "Unknown", "Reconciling": "True", "Stalled": "False", "Healthy": "False"},
		},
		"deleted": {
			conds:   []metav1.Condition{condition(meta.ReadyCondition, metav1.ConditionTrue)},
			deleted: true,
			want:    map[string]string{"Ready": "Deleted", "Reconciling": "Deleted", "Stalled": "Deleted"},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			obj := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "app", Namespace: "ns-" + name}}
			if tt.deleted {
				now := metav1.Now()
				obj.DeletionTimestamp = &now
			}
			Record("Kustomization", obj, tt.conds, false, time.Now())
			for condType, want := range tt.want {
				for _, s := range statuses {
					got := testutil.ToFloat64(reconcileCondition.WithLabelValues("Kustomization", "app", obj.Namespace, condType, s))
					exp := 0.0
					if s == want {
						exp = 1
					}
					if got != exp {
						t.Errorf("gotk_reconcile_condition{type=%q,status=%q} = %v, want %v", condType, s, got, exp)
					}
				}
			}
		})
	}
}

func TestRecordSuspendAndDuration(t *testing.T) {
	obj := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "repo", Namespace: "suspend"}}
	Record("GitRepository", obj, nil, true, time.Now())
	if got := testutil.ToFloat64(suspendStatus.WithLabelValues("GitRepository", "repo", "suspend")); got != 1 {
		t.Errorf("gotk_suspend_status = %v, want 1", got)
	}
	Record("GitRepository", obj, nil, false, time.Now())
	if got := testutil.ToFloat64(suspendStatus.WithLabelValues("GitRepository", "repo", "suspend")); got != 0 {
		t.Errorf("gotk_suspend_status = %v, want 0", got)
	}
	// A zero start time records no duration sample.
	Record("GitRepository", obj, nil, false, time.Time{})

	families, err := crmetrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var samples uint64
	found := map[string]bool{}
	for _, f := range families {
		found[f.GetName()] = true
		if f.GetName() != "gotk_reconcile_duration_seconds" {
			continue
		}
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["kind"] == "GitRepository" && labels["name"] == "repo" && labels["namespace"] == "suspend" {
				samples = m.GetHistogram().GetSampleCount()
			}
		}
	}
	for _, name := range []string{"gotk_reconcile_duration_seconds", "gotk_reconcile_condition", "gotk_suspend_status"} {
		if !found[name] {
			t.Errorf("%s is not registered on the controller-runtime registry", name)
		}
	}
	if samples != 2 {
		t.Errorf("gotk_reconcile_duration_seconds sample count %d, want 2", samples)
	}

	Forget("GitRepository", "suspend", "repo")
	families, err = crmetrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["kind"] == "GitRepository" && labels["name"] == "repo" && labels["namespace"] == "suspend" {
				t.Errorf("%s series of GitRepository/suspend/repo left after Forget", f.GetName())
			}
		}
	}
}
