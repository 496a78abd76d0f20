// Package provider reconciles notification Providers: it does not send
// anything (the dispatcher in internal/notification does), it reports in
// the Provider's Ready condition whether its type is supported and its
// Secrets resolve, so a broken Provider shows before an event is lost.
// Flux's v1beta3 Provider has no status; ferry's is an addition that Flux
// YAML and the flux CLI ignore.
package provider

import (
	"context"
	"errors"
	"time"

	corev1 "k8s.io/api/core/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	"github.com/ferrycd/ferry/api/meta"
	notificationv1 "github.com/ferrycd/ferry/api/notification/v1"
	notificationv1beta3 "github.com/ferrycd/ferry/api/notification/v1beta3"
	"github.com/ferrycd/ferry/internal/events"
	"github.com/ferrycd/ferry/internal/notification"
	"github.com/ferrycd/ferry/internal/notifier"
	"github.com/ferrycd/ferry/internal/reconcile"
	"github.com/ferrycd/ferry/internal/status"
)

// ControllerName names the controller in logs and events, as Flux's.
const ControllerName = "notification-controller"

// secretsIndexKey indexes Providers by the Secrets they read.
const secretsIndexKey = ".metadata.providerSecrets"

// retryInterval is how soon a Provider whose Secret is wrong is checked
// again; a change of the Secret is noticed at once through the watch.
const retryInterval = time.Minute

// Reconciler reconciles Provider objects.
type Reconciler struct {
	client.Client
	// Events records the events about Providers; nil records none.
	Events *events.Recorder
}

// Options tunes the controller.
type Options struct {
	MaxConcurrentReconciles int
}

// SetupWithManager registers the reconciler: on a spec change, a
// requested reconcile, and a change of a Secret the Provider reads.
func (r *Reconciler) SetupWithManager(ctx context.Context, mgr ctrl.Manager, opts Options) error {
	if err := mgr.GetFieldIndexer().IndexField(ctx, &notificationv1beta3.Provider{}, secretsIndexKey, indexSecrets); err != nil {
		return err
	}
	providers := reconcile.RequestsFromIndex(mgr.GetClient(), func() client.ObjectList { return &notificationv1beta3.ProviderList{} }, secretsIndexKey)
	return ctrl.NewControllerManagedBy(mgr).
		For(&notificationv1beta3.Provider{}, builder.WithPredicates(
			predicate.Or(predicate.GenerationChangedPredicate{}, reconcile.ReconcileRequested{}),
		)).
		Watches(&corev1.Secret{}, handler.EnqueueRequestsFromMapFunc(providers)).
		Named("provider").
		WithOptions(reconcile.ControllerOptions(opts.MaxConcurrentReconciles)).
		Complete(r)
}

func indexSecrets(o client.Object) []string {
	p := o.(*notificationv1beta3.Provider)
	var names []string
	for _, ref := range []*meta.LocalObjectReference{p.Spec.SecretRef, p.Spec.CertSecretRef, p.Spec.ProxySecretRef} {
		if ref != nil {
			names = append(names, ref.Name)
		}
	}
	return names
}

// Reconcile checks one Provider on the shared skeleton.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	s := &reconcile.Skeleton[*notificationv1beta3.Provider]{
		Client: r.Client,
		Kind:   notificationv1beta3.ProviderKind,
		New:    func() *notificationv1beta3.Provider { return &notificationv1beta3.Provider{} },
		Phases: r.reconcile,
	}
	return s.Reconcile(ctx, req)
}

func (r *Reconciler) reconcile(ctx context.Context, obj *notificationv1beta3.Provider, _ *status.Patcher) error {
	if !notifier.Supported(obj.Spec.Type) {
		_, err := notifier.New(notifier.Options{Type: obj.Spec.Type})
		status.MarkFalse(obj, meta.ReadyCondition, notificationv1.ValidationFailedReason, "%s", err)
		status.MarkStalled(obj, notificationv1.ValidationFailedReason, "%s", err)
		return reconcile.Stalled(notificationv1.ValidationFailedReason, err)
	}
	opts, err := notification.Resolve(ctx, r.Client, obj)
	if err == nil {
		_, err = notifier.New(opts)
	}
	if err != nil {
		status.MarkFalse(obj, meta.ReadyCondition, notificationv1.ValidationFailedReason, "%s", err)
		if errors.Is(err, notification.ErrSecret) {
			return reconcile.Waiting(notificationv1.ValidationFailedReason, retryInterval, err)
		}
		status.MarkStalled(obj, notificationv1.ValidationFailedReason, "%s", err)
		return reconcile.Stalled(notificationv1.ValidationFailedReason, err)
	}
	status.MarkReady(obj, notificationv1.InitializedReason, "Initialized")
	return nil
}
