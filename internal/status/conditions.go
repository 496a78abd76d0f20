package status

import (
	"fmt"
	"unicode/utf8"

	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ferrycd/ferry/api/meta"
)

// MaxMessageLength is the longest condition message kept; longer messages are
// cut at a rune boundary and end with an ellipsis. The API server refuses
// messages over 32768 bytes.
const MaxMessageLength = 20000

// Getter is an object that exposes its status conditions.
type Getter interface {
	GetConditions() []metav1.Condition
}

// Setter is an object whose status conditions can be set.
type Setter interface {
	Getter
	SetConditions([]metav1.Condition)
	GetGeneration() int64
}

// Get returns a copy of the condition of the given type, or nil.
func Get(obj Getter, condType string) *metav1.Condition {
	c := apimeta.FindStatusCondition(obj.GetConditions(), condType)
	if c == nil {
		return nil
	}
	out := *c
	return &out
}

// IsReady reports whether the Ready condition is True.
func IsReady(obj Getter) bool {
	return apimeta.IsStatusConditionTrue(obj.GetConditions(), meta.ReadyCondition)
}

// IsReconciling reports whether the Reconciling condition is True.
func IsReconciling(obj Getter) bool {
	return apimeta.IsStatusConditionTrue(obj.GetConditions(), meta.ReconcilingCondition)
}

// IsStalled reports whether the Stalled condition is True.
func IsStalled(obj Getter) bool {
	return apimeta.IsStatusConditionTrue(obj.GetConditions(), meta.StalledCondition)
}

// MarkTrue sets the condition of the given type to True.
func MarkTrue(obj Setter, condType, reason, messageFormat string, args ...any) {
	set(obj, condType, metav1.ConditionTrue, reason, messageFormat, args)
}

// MarkFalse sets the condition of the given type to False.
func MarkFalse(obj Setter, condType, reason, messageFormat string, args ...any) {
	set(obj, condType, metav1.ConditionFalse, reason, messageFormat, args)
}

// MarkUnknown sets the condition of the given type to Unknown.
func MarkUnknown(obj Setter, condType, reason, messageFormat string, args ...any) {
	set(obj, condType, metav1.ConditionUnknown, reason, messageFormat, args)
}

// MarkReady sets Ready to True and removes Reconciling and Stalled: the
// object is fully reconciled.
func MarkReady(obj Setter, reason, messageFormat string, args ...any) {
	set(obj, meta.ReadyCondition, metav1.ConditionTrue, reason, messageFormat, args)
	ClearReconciling(obj)
	ClearStalled(obj)
}

// MarkReconciling sets Reconciling to True and removes Stalled.
func MarkReconciling(obj Setter, reason, messageFormat string, args ...any) {
	set(obj, meta.ReconcilingCondition, metav1.ConditionTrue, reason, messageFormat, args)
	ClearStalled(obj)
}

// MarkStalled sets Stalled to True and removes Reconciling: the object cannot
// progress until it changes.
func MarkStalled(obj Setter, reason, messageFormat string, args ...any) {
	set(obj, meta.StalledCondition, metav1.ConditionTrue, reason, messageFormat, args)
	ClearReconciling(obj)
}

// ClearReconciling removes the Reconciling condition.
func ClearReconciling(obj Setter) {
	Delete(obj, meta.ReconcilingCondition)
}

// ClearStalled removes the Stalled condition.
func ClearStalled(obj Setter) {
	Delete(obj, meta.StalledCondition)
}

// Delete removes the condition of the given type.
func Delete(obj Setter, condType string) {
	conds := obj.GetConditions()
	if apimeta.RemoveStatusCondition(&conds, condType) {
		obj.SetConditions(conds)
	}
}

// set writes one condition. The transition time only changes when the status
// does, as apimeta.SetStatusCondition does.
func set(obj Setter, condType string, status metav1.ConditionStatus, reason, messageFormat string, args []any) {
	msg := messageFormat
	if len(args) > 0 {
		msg = fmt.Sprintf(messageFormat, args...)
	}
	conds := obj.GetConditions()
	apimeta.SetStatusCondition(&conds, metav1.Condition{
		Type:               condType,
		Status:             status,
		ObservedGeneration: obj.GetGeneration(),
		Reason:             reason,
		Message:            truncate(msg, MaxMessageLength),
	})
	obj.SetConditions(conds)
}

// truncate cuts s to at most limit bytes at a rune boundary, marking the cut
// with an ellipsis.
func truncate(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	const ellipsis = "..."
	cut := limit - len(ellipsis)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + ellipsis
}
