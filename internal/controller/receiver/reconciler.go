package receiver

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	notificationv1 "github.com/ferrycd/ferry/api/notification/v1"
	"github.com/ferrycd/ferry/internal/events"
	"github.com/ferrycd/ferry/internal/reconcile"
)

// ControllerName names the controller in logs, metrics and as the source of
// events, like Flux's.
const ControllerName = "notification-controller"

const (
	// webhookPathIndexKey indexes Receivers by status.webhookPath, so the
	// server finds the Receiver of a request in the cache.
	webhookPathIndexKey = ".status.webhookPath"
	// secretRefIndexKey indexes Receivers by the Secret they read, so a
	// changed token reconciles them.
	secretRefIndexKey = ".spec.secretRef.name"
)

// Reconciler reconciles Receiver objects: it reads the token of each and
// publishes the webhook path the server answers on.
type Reconciler struct {
	client.Client
	// Events records the events about Receivers; nil records none.
	Events *events.Recorder
	// NoCrossNamespaceRefs refuses spec.resources in other namespaces than
	// the Receiver's, as Flux's --no-cross-namespace-refs.
	NoCrossNamespaceRefs bool

	// forget drops what the server remembers of a deleted Receiver.
	forget func(namespace, name string)
}

// SetupWithManager registers the reconciler and the indexes the server and
// the Secret watch use. It reconciles on a spec change, a requested
// reconcile, deletion, a change of the Secret a Receiver names, and every
// spec.interval.
func (r *Reconciler) SetupWithManager(ctx context.Context, mgr ctrl.Manager, opts Options) error {
	idx := mgr.GetFieldIndexer()
	if err := idx.IndexField(ctx, &notificationv1.Receiver{}, webhookPathIndexKey, indexWebhookPath); err != nil {
		return fmt.Errorf("receiver controller: indexing webhook paths: %w", err)
	}
	if err := idx.IndexField(ctx, &notificationv1.Receiver{}, secretRefIndexKey, indexSecretRef); err != nil {
		return fmt.Errorf("receiver controller: indexing secretRef: %w", err)
	}
	receivers := reconcile.RequestsFromIndex(mgr.GetClient(), func() client.ObjectList { return &notificationv1.ReceiverList{} }, secretRefIndexKey)
	return ctrl.NewControllerManagedBy(mgr).
		For(&notificationv1.Receiver{}, builder.WithPredicates(
			predicate.Or(predicate.GenerationChangedPredicate{}, reconcile.ReconcileRequested{}, reconcile.Deleting{}),
		)).
		Watches(&corev1.Secret{}, handler.EnqueueRequestsFromMapFunc(receivers),
			builder.WithPredicates(predicate.ResourceVersionChangedPredicate{})).
		Named("receiver").
		WithOptions(reconcile.ControllerOptions(opts.MaxConcurrentReconciles)).
		Complete(r)
}

// Reconcile brings one Receiver to its desired state on the shared
// skeleton (internal/reconcile). A suspended Receiver keeps its status, so
// its path stays known and the server answers it 503.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	s := &reconcile.Skeleton[*notificationv1.Receiver]{
		Client:    r.Client,
		Kind:      notificationv1.ReceiverKind,
		Finalizer: notificationv1.NotificationFinalizer,
		New:       func() *notificationv1.Receiver { return &notificationv1.Receiver{} },
		Phases:    r.reconcile,
		Forget: func(obj *notificationv1.Receiver) {
			if r.forget != nil {
				r.forget(obj.Namespace, obj.Name)
			}
		},
		// Flux reconciles Receivers at spec.interval exactly.
		JitterPercentage: -1,
	}
	return s.Reconcile(ctx, req)
}

func indexWebhookPath(o client.Object) []string {
	if p := o.(*notificationv1.Receiver).Status.WebhookPath; p != "" {
		return []string{p}
	}
	return nil
}

func indexSecretRef(o client.Object) []string {
	if n := o.(*notificationv1.Receiver).Spec.SecretRef.Name; n != "" {
		return []string{n}
	}
	return nil
}
