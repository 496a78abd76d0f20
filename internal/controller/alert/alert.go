// Package alert reconciles notification Alerts: it reports in the Alert's
// Ready condition whether its Provider exists and is ready and its
// inclusion and exclusion lists compile. Matching and delivery happen in
// the dispatcher (internal/notification). Flux's v1beta3 Alert has no
// status; ferry's is an addition that Flux YAML and the flux CLI ignore.
package alert

import (
	"context"
	"fmt"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	"github.com/ferrycd/ferry/api/meta"
	notificationv1 "github.com/ferrycd/ferry/api/notification/v1"
	notificationv1beta3 "github.com/ferrycd/ferry/api/notification/v1beta3"
	"github.com/ferrycd/ferry/internal/acl"
	"github.com/ferrycd/ferry/internal/events"
	"github.com/ferrycd/ferry/internal/notification"
	"github.com/ferrycd/ferry/internal/reconcile"
	"github.com/ferrycd/ferry/internal/status"
)

// ControllerName names the controller in logs and events, as Flux's.
const ControllerName = "notification-controller"

// Reasons of an Alert's Ready condition besides Flux's.
const (
	// ProviderNotFoundReason is an Alert whose spec.providerRef names no
	// Provider in its namespace.
	ProviderNotFoundReason = "ProviderNotFound"
	// ProviderNotReadyReason is an Alert whose Provider is not Ready.
	ProviderNotReadyReason = "ProviderNotReady"
)

const providerIndexKey = ".spec.providerRef.name"

// retryInterval is how soon an Alert waiting for its Provider looks
// again; a change of the Provider is noticed at once through the watch.
const retryInterval = time.Minute

// Reconciler reconciles Alert objects.
type Reconciler struct {
	client.Client
	Events *events.Recorder
	// NoCrossNamespaceRefs refuses eventSources in other namespaces.
	NoCrossNamespaceRefs bool
}

// Options tunes the controller.
type Options struct {
	MaxConcurrentReconciles int
}

// SetupWithManager registers the reconciler: on a spec change, a
// requested reconcile, and any change of the Provider it names.
func (r *Reconciler) SetupWithManager(ctx context.Context, mgr ctrl.Manager, opts Options) error {
	if err := mgr.GetFieldIndexer().IndexField(ctx, &notificationv1beta3.Alert{}, providerIndexKey, func(o client.Object) []string {
		return []string{o.(*notificationv1beta3.Alert).Spec.ProviderRef.Name}
	}); err != nil {
		return err
	}
	alerts := reconcile.RequestsFromIndex(mgr.GetClient(), func() client.ObjectList { return &notificationv1beta3.AlertList{} }, providerIndexKey)
	return ctrl.NewControllerManagedBy(mgr).
		For(&notificationv1beta3.Alert{}, builder.WithPredicates(
			predicate.Or(predicate.GenerationChangedPredicate{}, reconcile.ReconcileRequested{}),
		)).
		Watches(&notificationv1beta3.Provider{}, handler.EnqueueRequestsFromMapFunc(alerts)).
		Named("alert").
		WithOptions(reconcile.ControllerOptions(opts.MaxConcurrentReconciles)).
		Complete(r)
}

// Reconcile checks one Alert on the shared skeleton.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	s := &reconcile.Skeleton[*notificationv1beta3.Alert]{
		Client: r.Client,
		Kind:   notificationv1beta3.AlertKind,
		New:    func() *notificationv1beta3.Alert { return &notificationv1beta3.Alert{} },
		Phases: r.reconcile,
	}
	return s.Reconcile(ctx, req)
}

func (r *Reconciler) reconcile(ctx context.Context, obj *notificationv1beta3.Alert, _ *status.Patcher) error {
	stall := func(reason string, err error) error {
		status.MarkFalse(obj, meta.ReadyCondition, reason, "%s", err)
		status.MarkStalled(obj, reason, "%s", err)
		return reconcile.Stalled(reason, err)
	}
	if r.NoCrossNamespaceRefs {
		refs := make([]acl.Reference, 0, len(obj.Spec.EventSources))
		for _, src := range obj.Spec.EventSources {
			refs = append(refs, acl.Reference{Kind: src.Kind, Namespace: src.Namespace, Name: src.Name})
		}
		if err := acl.Check(obj.Namespace, refs...); err != nil {
			return stall(acl.AccessDeniedReason, err)
		}
	}
	if err := notification.ValidateAlert(obj); err != nil {
		return stall(notificationv1.ValidationFailedReason, err)
	}

	p := &notificationv1beta3.Provider{}
	if err := r.Get(ctx, client.ObjectKey{Namespace: obj.Namespace, Name: obj.Spec.ProviderRef.Name}, p); err != nil {
		if client.IgnoreNotFound(err) != nil {
			return err
		}
		err := fmt.Errorf("Provider '%s/%s' not found", obj.Namespace, obj.Spec.ProviderRef.Name)
		status.MarkFalse(obj, meta.ReadyCondition, ProviderNotFoundReason, "%s", err)
		return reconcile.Waiting(ProviderNotFoundReason, retryInterval, err)
	}
	if !status.IsReady(p) && !p.Spec.Suspend {
		msg := "it has not been checked yet"
		if c := status.Get(p, meta.ReadyCondition); c != nil && c.Message != "" {
			msg = c.Message
		}
		err := fmt.Errorf("Provider '%s/%s' is not ready: %s", p.Namespace, p.Name, msg)
		status.MarkFalse(obj, meta.ReadyCondition, ProviderNotReadyReason, "%s", err)
		return reconcile.Waiting(ProviderNotReadyReason, retryInterval, err)
	}
	status.MarkReady(obj, notificationv1.InitializedReason, "Initialized")
	return nil
}
