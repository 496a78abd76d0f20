package receiver

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/ferrycd/ferry/api/meta"
	notificationv1 "github.com/ferrycd/ferry/api/notification/v1"
	"github.com/ferrycd/ferry/internal/acl"
	"github.com/ferrycd/ferry/internal/cel"
	"github.com/ferrycd/ferry/internal/reconcile"
	"github.com/ferrycd/ferry/internal/status"
)

// Reasons of a Receiver's Ready and Stalled conditions besides Flux's
// TokenNotFound, ValidationFailed and InvalidConfig
// (api/notification/v1) and AccessDenied (internal/acl).
const (
	// UnsupportedTypeReason is a Receiver whose spec.type ferry does not
	// know.
	UnsupportedTypeReason = "UnsupportedType"
	// InvalidCELExpressionReason is a Receiver whose spec.resourceFilter
	// does not compile, Flux's reason.
	InvalidCELExpressionReason = "InvalidCELExpression"
)

// ReadyMessagePrefix starts the Ready message of a Receiver, Flux's; the
// webhook path follows.
const ReadyMessagePrefix = "Receiver initialized for path: "

// celVars are the variables of spec.resourceFilter: the resource (its
// apiVersion, kind and metadata) and the request body.
var celVars = []string{"res", "req"}

// reconcile runs the phases: check the spec, read the token, publish the
// webhook path. Its error is the outcome (see internal/reconcile).
func (r *Reconciler) reconcile(ctx context.Context, obj *notificationv1.Receiver, _ *status.Patcher) error {
	log := ctrl.LoggerFrom(ctx)
	wasFailing := status.Get(obj, meta.ReadyCondition) != nil && !status.IsReady(obj)

	// Announce the reconcile: kstatus wants Ready present at all times.
	if status.Get(obj, meta.ReadyCondition) == nil {
		status.MarkUnknown(obj, meta.ReadyCondition, meta.ProgressingReason, "reconciliation in progress")
	}
	if obj.Generation != obj.Status.ObservedGeneration {
		status.MarkReconciling(obj, meta.ProgressingReason, "processing object: new generation %d -> %d",
			obj.Status.ObservedGeneration, obj.Generation)
	}

	// Check the spec: what no retry can fix stalls.
	if !slices.Contains(Types, obj.Spec.Type) {
		return r.stall(obj, UnsupportedTypeReason,
			fmt.Errorf("receiver type '%s' is not supported; choose one of %s", obj.Spec.Type, strings.Join(Types, ", ")))
	}
	if err := checkResources(obj); err != nil {
		return r.stall(obj, notificationv1.InvalidConfigReason, err)
	}
	if r.NoCrossNamespaceRefs {
		if err := acl.Check(obj.Namespace, references(obj)...); err != nil {
			return r.stall(obj, acl.AccessDeniedReason, err)
		}
	}
	if f := obj.Spec.ResourceFilter; f != "" {
		if _, err := cel.NewBoolExpression(f, celVars...); err != nil {
			return r.stall(obj, InvalidCELExpressionReason,
				fmt.Errorf("Reconciliation failed terminally due to configuration error: %w", err))
		}
	}

	// Read the token; without one there is no path to serve.
	secret, err := r.secret(ctx, obj)
	if err != nil {
		obj.Status.WebhookPath = ""
		return r.fail(obj, notificationv1.TokenNotFoundReason, err)
	}
	token, ok := secret.Data[TokenKey]
	if !ok {
		obj.Status.WebhookPath = ""
		return r.fail(obj, notificationv1.TokenNotFoundReason,
			fmt.Errorf("invalid '%s/%s' secret data: required field '%s'", obj.Namespace, obj.Spec.SecretRef.Name, TokenKey))
	}

	// Publish the path.
	path := obj.WebhookPath(string(token))
	changed := obj.Status.WebhookPath != path
	obj.Status.WebhookPath = path
	msg := ReadyMessagePrefix + path

	// A gcr Receiver also needs what to check Google's ID tokens against;
	// the path is known, but calls are refused until then.
	if obj.Spec.Type == notificationv1.GCRReceiver && (len(secret.Data[EmailKey]) == 0 || len(secret.Data[AudienceKey]) == 0) {
		return r.fail(obj, notificationv1.ValidationFailedReason,
			fmt.Errorf("invalid '%s/%s' secret data: a gcr Receiver requires the fields '%s' (the push subscription's service account) and '%s' (its audience)",
				obj.Namespace, obj.Spec.SecretRef.Name, EmailKey, AudienceKey))
	}

	status.MarkReady(obj, meta.SucceededReason, "%s", msg)
	if changed {
		log.Info(msg)
	}
	if changed || wasFailing {
		r.Events.Normal(obj, meta.SucceededReason, msg, nil)
	}
	return nil
}

// secret gets the Receiver's Secret. Its error names the Secret, never its
// data.
func (r *Reconciler) secret(ctx context.Context, obj *notificationv1.Receiver) (*corev1.Secret, error) {
	key := types.NamespacedName{Namespace: obj.Namespace, Name: obj.Spec.SecretRef.Name}
	secret := &corev1.Secret{}
	if err := r.Get(ctx, key, secret); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("unable to read token from secret '%s': the Secret does not exist; create it with a '%s' key", key, TokenKey)
		}
		return nil, fmt.Errorf("unable to read token from secret '%s': %w", key, err)
	}
	return secret, nil
}

// checkResources refuses the spec.resources entries no request could
// reconcile.
func checkResources(obj *notificationv1.Receiver) error {
	if len(obj.Spec.Resources) == 0 {
		return errors.New("spec.resources is empty: list the objects a call reconciles")
	}
	for _, ref := range obj.Spec.Resources {
		if ref.Name == "*" && len(ref.MatchLabels) == 0 {
			return fmt.Errorf("resource %s/*: matchLabels field not set when using wildcard '*' as name", ref.Kind)
		}
		if ref.Namespace == "*" {
			return fmt.Errorf("resource %s/%s: namespace '*' is not supported by Receivers; list one entry per namespace", ref.Kind, ref.Name)
		}
	}
	return nil
}

// references returns spec.resources for acl.Check.
func references(obj *notificationv1.Receiver) []acl.Reference {
	refs := make([]acl.Reference, 0, len(obj.Spec.Resources))
	for _, ref := range obj.Spec.Resources {
		refs = append(refs, acl.Reference{Kind: ref.Kind, Namespace: ref.Namespace, Name: ref.Name})
	}
	return refs
}

// stall records a misconfiguration: Ready=False and Stalled with reason,
// a Warning event, and no retry until the Receiver changes.
func (r *Reconciler) stall(obj *notificationv1.Receiver, reason string, err error) error {
	msg := err.Error()
	status.MarkFalse(obj, meta.ReadyCondition, reason, "%s", msg)
	status.MarkStalled(obj, reason, "%s", msg)
	r.Events.Warning(obj, reason, msg, nil)
	return reconcile.Stalled(reason, err)
}

// fail records a failure a retry may fix (the Secret appearing): Ready=False
// with reason, Reconciling with retry, a Warning event; the error is
// retried with backoff, and the Secret watch brings the Receiver back at
// once when the Secret changes.
func (r *Reconciler) fail(obj *notificationv1.Receiver, reason string, err error) error {
	msg := err.Error()
	status.MarkFalse(obj, meta.ReadyCondition, reason, "%s", msg)
	status.MarkReconciling(obj, meta.ProgressingWithRetryReason, "%s", msg)
	r.Events.Warning(obj, reason, msg, nil)
	return err
}
