package receiver

import (
	"context"
	"testing"

	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ferrycd/ferry/api/meta"
	notificationv1 "github.com/ferrycd/ferry/api/notification/v1"
	"github.com/ferrycd/ferry/internal/acl"
	"github.com/ferrycd/ferry/internal/reconcile"
)

// TestReconcileStalls checks the spec mistakes that stall a Receiver before
// its Secret is read, including those the API server's schema already
// refuses (an unknown type).
func TestReconcileStalls(t *testing.T) {
	repo := notificationv1.CrossNamespaceObjectReference{Kind: "GitRepository", Name: "app"}
	tests := map[string]struct {
		mutate  func(*notificationv1.Receiver)
		noCross bool
		reason  string
	}{
		"unknown type": {mutate: func(r *notificationv1.Receiver) { r.Spec.Type = "svn" }, reason: UnsupportedTypeReason},
		"wildcard without labels": {mutate: func(r *notificationv1.Receiver) {
			r.Spec.Resources = []notificationv1.CrossNamespaceObjectReference{{Kind: "GitRepository", Name: "*"}}
		}, reason: notificationv1.InvalidConfigReason},
		"every namespace": {mutate: func(r *notificationv1.Receiver) {
			r.Spec.Resources = []notificationv1.CrossNamespaceObjectReference{{Kind: "GitRepository", Name: "*", Namespace: "*",
				MatchLabels: map[string]string{"a": "b"}}}
		}, reason: notificationv1.InvalidConfigReason},
		"no resources": {mutate: func(r *notificationv1.Receiver) { r.Spec.Resources = nil }, reason: notificationv1.InvalidConfigReason},
		"filter does not compile": {mutate: func(r *notificationv1.Receiver) { r.Spec.ResourceFilter = "res.metadata.name ==" },
			reason: InvalidCELExpressionReason},
		"filter with an unknown variable": {mutate: func(r *notificationv1.Receiver) { r.Spec.ResourceFilter = "request.body == 1" },
			reason: InvalidCELExpressionReason},
		"another namespace, blocked": {mutate: func(r *notificationv1.Receiver) {
			r.Spec.Resources = []notificationv1.CrossNamespaceObjectReference{{Kind: "GitRepository", Name: "app", Namespace: "flux-system"}}
		}, noCross: true, reason: acl.AccessDeniedReason},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			obj := &notificationv1.Receiver{
				ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "hook", Generation: 1},
				Spec: notificationv1.ReceiverSpec{Type: notificationv1.GitHubReceiver, Resources: []notificationv1.CrossNamespaceObjectReference{repo},
					SecretRef: meta.LocalObjectReference{Name: "token"}},
			}
			tc.mutate(obj)
			r := &Reconciler{NoCrossNamespaceRefs: tc.noCross}
			err := r.reconcile(context.Background(), obj, nil)
			if !reconcile.IsStalled(err) {
				t.Fatalf("reconcile = %v, want Stalled", err)
			}
			ready := apimeta.FindStatusCondition(obj.Status.Conditions, meta.ReadyCondition)
			stalled := apimeta.FindStatusCondition(obj.Status.Conditions, meta.StalledCondition)
			if ready == nil || ready.Status != metav1.ConditionFalse || ready.Reason != tc.reason || stalled == nil || stalled.Reason != tc.reason {
				t.Errorf("conditions = %+v, want Ready=False and Stalled with %s", obj.Status.Conditions, tc.reason)
			}
		})
	}
}
