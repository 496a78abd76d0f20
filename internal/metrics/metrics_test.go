package metrics

import (
	"fmt"
	"runtime"
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
		want    string // status of the Ready series reported as 1
	}{
		"no conditions": {want: "Unknown"},
		"ready": {
			conds: []metav1.Condition{condition(meta.ReadyCondition, metav1.ConditionTrue)},
			want:  "True",
		},
		"stalled and failed": {
			conds: []metav1.Condition{
				condition(meta.StalledCondition, metav1.ConditionTrue),
				condition(meta.ReadyCondition, metav1.ConditionFalse),
			},
			want: "False",
		},
		"reconciling without ready": {
			conds: []metav1.Condition{
				condition(meta.ReconcilingCondition, metav1.ConditionTrue),
				condition(meta.HealthyCondition, metav1.ConditionFalse),
			},
			want: "Unknown",
		},
		"invalid status": {
			conds: []metav1.Condition{condition(meta.ReadyCondition, "Maybe")},
			want:  "Unknown",
		},
		"deleted": {
			conds:   []metav1.Condition{condition(meta.ReadyCondition, metav1.ConditionTrue)},
			deleted: true,
			want:    "Deleted",
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
			for _, s := range statuses {
				got := testutil.ToFloat64(reconcileCondition.WithLabelValues("Kustomization", "app", obj.Namespace, meta.ReadyCondition, s))
				exp := 0.0
				if s == tt.want {
					exp = 1
				}
				if got != exp {
					t.Errorf("gotk_reconcile_condition{type=\"Ready\",status=%q} = %v, want %v", s, got, exp)
				}
			}
		})
	}
}

// TestRecordReadyOnly checks that, as in Flux, no condition type but Ready
// gets series of its own: one per status, four per object.
func TestRecordReadyOnly(t *testing.T) {
	obj := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "app", Namespace: "ready-only"}}
	Record("Kustomization", obj, []metav1.Condition{
		condition(meta.ReadyCondition, metav1.ConditionTrue),
		condition(meta.HealthyCondition, metav1.ConditionTrue),
		condition(meta.ReconcilingCondition, metav1.ConditionFalse),
	}, false, time.Now())
	defer Forget("Kustomization", "ready-only", "app")

	families, err := crmetrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	series := 0
	for _, f := range families {
		if f.GetName() != "gotk_reconcile_condition" {
			continue
		}
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["namespace"] != "ready-only" {
				continue
			}
			series++
			if labels["type"] != meta.ReadyCondition {
				t.Errorf("gotk_reconcile_condition has a series of type %q, want Ready only", labels["type"])
			}
		}
	}
	if series != len(statuses) {
		t.Errorf("gotk_reconcile_condition has %d series for the object, want %d", series, len(statuses))
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

// BenchmarkRecord1000 records one reconciliation of each of 1000 Ready
// Kustomizations and reports the heap the metrics keep for them, the
// figure that matters at fleet scale.
func BenchmarkRecord1000(b *testing.B) {
	const n = 1000
	objs := make([]*corev1.ConfigMap, n)
	for i := range objs {
		objs[i] = &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("app-%d", i), Namespace: "fleet"}}
	}
	conds := []metav1.Condition{
		condition(meta.ReadyCondition, metav1.ConditionTrue),
		condition(meta.HealthyCondition, metav1.ConditionTrue),
	}
	start := time.Now()
	var retained uint64
	var ms runtime.MemStats
	b.ReportAllocs()
	for b.Loop() {
		reconcileDuration.Reset()
		reconcileCondition.Reset()
		suspendStatus.Reset()
		runtime.GC()
		runtime.ReadMemStats(&ms)
		before := ms.HeapAlloc
		for _, obj := range objs {
			Record("Kustomization", obj, conds, false, start)
		}
		runtime.GC()
		runtime.ReadMemStats(&ms)
		retained = ms.HeapAlloc - before
	}
	b.ReportMetric(float64(retained), "heap-bytes/1000-objects")
	b.ReportMetric(float64(testutil.CollectAndCount(reconcileCondition)), "condition-series")
}
