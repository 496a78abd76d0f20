package status

import (
	"strings"
	"testing"
	"unicode/utf8"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ferrycd/ferry/api/meta"
)

// object is a minimal Setter for pure condition logic.
type object struct {
	generation int64
	conditions []metav1.Condition
}

func (o *object) GetConditions() []metav1.Condition  { return o.conditions }
func (o *object) SetConditions(c []metav1.Condition) { o.conditions = c }
func (o *object) GetGeneration() int64               { return o.generation }

func types(o *object) []string {
	var out []string
	for _, c := range o.conditions {
		out = append(out, c.Type+"="+string(c.Status))
	}
	return out
}

func TestMarkers(t *testing.T) {
	tests := map[string]struct {
		start []metav1.Condition
		mark  func(*object)
		want  []string
	}{
		"ready on empty": {
			mark: func(o *object) { MarkReady(o, meta.SucceededReason, "applied revision %s", "main@sha1:abc") },
			want: []string{"Ready=True"},
		},
		"ready clears reconciling and stalled": {
			start: []metav1.Condition{
				{Type: meta.ReconcilingCondition, Status: metav1.ConditionTrue, Reason: meta.ProgressingReason},
				{Type: meta.StalledCondition, Status: metav1.ConditionTrue, Reason: meta.InvalidPathReason},
			},
			mark: func(o *object) { MarkReady(o, meta.SucceededReason, "done") },
			want: []string{"Ready=True"},
		},
		"reconciling clears stalled and keeps ready": {
			start: []metav1.Condition{
				{Type: meta.ReadyCondition, Status: metav1.ConditionFalse, Reason: meta.FailedReason},
				{Type: meta.StalledCondition, Status: metav1.ConditionTrue, Reason: meta.InvalidPathReason},
			},
			mark: func(o *object) { MarkReconciling(o, meta.ProgressingReason, "building") },
			want: []string{"Ready=False", "Reconciling=True"},
		},
		"stalled clears reconciling": {
			start: []metav1.Condition{
				{Type: meta.ReconcilingCondition, Status: metav1.ConditionTrue, Reason: meta.ProgressingReason},
			},
			mark: func(o *object) {
				MarkStalled(o, meta.InvalidPathReason, "path not found")
				MarkFalse(o, meta.ReadyCondition, meta.InvalidPathReason, "path not found")
			},
			want: []string{"Stalled=True", "Ready=False"},
		},
		"clear on absent conditions is a no-op": {
			mark: func(o *object) { ClearReconciling(o); ClearStalled(o) },
			want: nil,
		},
		"unknown and true": {
			mark: func(o *object) {
				MarkUnknown(o, meta.ReadyCondition, meta.ProgressingReason, "reconciliation in progress")
				MarkTrue(o, meta.HealthyCondition, meta.SucceededReason, "all healthy")
			},
			want: []string{"Ready=Unknown", "Healthy=True"},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			o := &object{generation: 3, conditions: tt.start}
			tt.mark(o)
			got := types(o)
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Fatalf("conditions %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSetFields(t *testing.T) {
	o := &object{generation: 7}
	MarkFalse(o, meta.ReadyCondition, meta.BuildFailedReason, "kustomize build of %q failed: %s", "./apps", "boom")
	c := Get(o, meta.ReadyCondition)
	if c == nil {
		t.Fatal("Ready condition not set")
	}
	if c.ObservedGeneration != 7 {
		t.Errorf("observedGeneration %d, want 7", c.ObservedGeneration)
	}
	if c.Reason != meta.BuildFailedReason || c.Message != `kustomize build of "./apps" failed: boom` {
		t.Errorf("reason %q message %q", c.Reason, c.Message)
	}
	if c.LastTransitionTime.IsZero() {
		t.Error("lastTransitionTime not set")
	}
	if IsReady(o) {
		t.Error("IsReady is true for Ready=False")
	}

	// A message with a verb but no args is kept verbatim.
	MarkFalse(o, meta.ReadyCondition, meta.BuildFailedReason, "100% broken")
	if got := Get(o, meta.ReadyCondition).Message; got != "100% broken" {
		t.Errorf("message %q, want it verbatim", got)
	}

	// Same status: the transition time is kept; new generation is recorded.
	before := Get(o, meta.ReadyCondition).LastTransitionTime
	o.generation = 8
	MarkFalse(o, meta.ReadyCondition, meta.ArtifactFailedReason, "again")
	c = Get(o, meta.ReadyCondition)
	if !c.LastTransitionTime.Equal(&before) {
		t.Errorf("lastTransitionTime changed from %v to %v without a status change", before, c.LastTransitionTime)
	}
	if c.ObservedGeneration != 8 || c.Reason != meta.ArtifactFailedReason {
		t.Errorf("observedGeneration %d reason %q, want 8 %q", c.ObservedGeneration, c.Reason, meta.ArtifactFailedReason)
	}

	MarkReady(o, meta.SucceededReason, "ok")
	if !IsReady(o) || IsReconciling(o) || IsStalled(o) {
		t.Errorf("conditions %v: want only Ready=True", types(o))
	}

	// Get returns a copy.
	Get(o, meta.ReadyCondition).Message = "changed"
	if Get(o, meta.ReadyCondition).Message != "ok" {
		t.Error("Get returned a reference into the conditions")
	}
	if Get(o, "Missing") != nil {
		t.Error("Get of a missing condition is not nil")
	}
}

func TestTruncate(t *testing.T) {
	tests := map[string]struct {
		in    string
		limit int
		want  string
	}{
		"short":         {in: "abc", limit: 10, want: "abc"},
		"exact":         {in: "abcdef", limit: 6, want: "abcdef"},
		"cut":           {in: "abcdefghij", limit: 8, want: "abcde..."},
		"rune boundary": {in: "aé" + "bcdef", limit: 5, want: "a..."},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got := truncate(tt.in, tt.limit)
			if got != tt.want {
				t.Errorf("truncate(%q, %d) = %q, want %q", tt.in, tt.limit, got, tt.want)
			}
			if len(got) > tt.limit || !utf8.ValidString(got) {
				t.Errorf("truncate(%q, %d) = %q: too long or invalid UTF-8", tt.in, tt.limit, got)
			}
		})
	}

	o := &object{}
	MarkFalse(o, meta.ReadyCondition, meta.FailedReason, strings.Repeat("x", 3*MaxMessageLength))
	if n := len(Get(o, meta.ReadyCondition).Message); n != MaxMessageLength {
		t.Errorf("message length %d, want %d", n, MaxMessageLength)
	}
}
