package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferrycd/ferry/api/meta"
)

// reconcileFlags are the flags of every `reconcile` command.
type reconcileFlags struct {
	timeout time.Duration
}

func newReconcileCommand(g *globals) *cobra.Command {
	rf := &reconcileFlags{}
	cmd := &cobra.Command{
		Use:   "reconcile",
		Short: "Reconcile sources, Kustomizations, HelmReleases, Alerts, Providers and Receivers now, and wait for the outcome",
	}
	cmd.PersistentFlags().DurationVar(&rf.timeout, "timeout", 5*time.Minute, "how long to wait for the reconciliation")
	addKindCommands(cmd, kindVerb{
		groupShort: "Reconcile",
		args:       "NAME",
		nargs:      cobra.ExactArgs(1),
		help:       func(h kindHelp) help { return h.reconcile },
		flags: func(k *kind, sub *cobra.Command) {
			if k.sourceRef != nil {
				sub.Flags().Bool("with-source", false, "reconcile the "+k.gvk.Kind+"'s source first")
			}
			for _, f := range k.rules().flags {
				sub.Flags().Bool(f.name, false, f.usage)
			}
		},
		run: func(cmd *cobra.Command, k *kind, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			key := types.NamespacedName{Namespace: g.namespace, Name: args[0]}
			var also []string
			for _, f := range k.rules().flags {
				if on, _ := cmd.Flags().GetBool(f.name); on {
					also = append(also, f.annotation)
				}
			}
			// A kind without a source has no --with-source: GetBool fails
			// and withSource is false.
			if withSource, _ := cmd.Flags().GetBool("with-source"); withSource {
				if err := g.reconcileSource(cmd.Context(), c, k, key, rf.timeout); err != nil {
					return err
				}
			}
			return g.requestAndWait(cmd.Context(), c, k.target(key), rf.timeout, also...)
		},
	})
	return cmd
}

// reconcileRules are what a kind adds to the request and the wait that
// every kind shares; kindRules (kinds.go) holds them by kind, and a kind
// without an entry adds nothing.
type reconcileRules struct {
	// flags are `reconcile` flags that each set one more annotation to the
	// request's token: Flux's controllers honour --force
	// (reconcile.fluxcd.io/forceAt) only when it equals requestedAt.
	flags []annotationFlag
	// static, when set, reports an object that its controller does not
	// answer requests for (an OCI HelmRepository, which has nothing to
	// fetch): waiting for it ends when Ready is True or False for its
	// generation, whatever status.lastHandledReconcileAt says.
	static func(obj fluxObject) bool
	// pending, when set, reports an object whose Ready=False means "not
	// yet" rather than "failed" (a HelmRelease waiting for its chart or a
	// dependency): waiting goes on until Ready is True, a failure or the
	// timeout.
	pending func(obj fluxObject) bool
}

// annotationFlag is a boolean `reconcile` flag that sets annotation to the
// request's token.
type annotationFlag struct {
	name, annotation, usage string
}

// rules returns what k adds to the common reconcile request and wait.
func (k *kind) rules() reconcileRules { return kindRules[k] }

// reconcileTarget is one object to ask to reconcile and to read the outcome
// of.
type reconcileTarget struct {
	kind   *kind
	key    types.NamespacedName
	object fluxObject
}

// get reads the target's object; a missing one is "<Kind> '<key>' not
// found".
func (t reconcileTarget) get(ctx context.Context, c client.Client) error {
	if err := c.Get(ctx, t.key, t.object); err != nil {
		if apierrors.IsNotFound(err) {
			return fmt.Errorf("%s '%s' not found", t.kind.gvk.Kind, t.key)
		}
		return fmt.Errorf("getting %s '%s': %w", t.kind.gvk.Kind, t.key, err)
	}
	return nil
}

// reconcileSource reconciles the source of kind k's object at key, for
// --with-source, and waits for it. A source with a source of its own (the
// HelmChart of a HelmRelease, from a HelmRepository) is reconciled after
// that one, as Flux does.
func (g *globals) reconcileSource(ctx context.Context, c client.Client, k *kind, key types.NamespacedName, timeout time.Duration) error {
	t := k.target(key)
	if err := t.get(ctx, c); err != nil {
		return err
	}
	if t.object.IsSuspended() {
		return suspendedError(t)
	}
	srcKind, srcKey := k.sourceRef(t.object)
	src := kindNamed(srcKind)
	if src == nil {
		return fmt.Errorf("--with-source does not support source kind %q yet; reconcile the source separately", srcKind)
	}
	if srcKey.Namespace == "" {
		srcKey.Namespace = key.Namespace
	}
	if src.sourceRef != nil {
		if err := g.reconcileSource(ctx, c, src, srcKey, timeout); err != nil {
			return err
		}
	}
	return g.requestAndWait(ctx, c, src.target(srcKey), timeout)
}

// suspendedError refuses to reconcile a suspended object.
func suspendedError(t reconcileTarget) error {
	return fmt.Errorf("%s '%s' is suspended: resume it first with 'ferry resume'", t.kind.gvk.Kind, t.key)
}

// requestAndWait annotates the object with reconcile.fluxcd.io/requestedAt
// (and each of also, with the same token) and waits until the controller
// has handled that request, then reports the Ready condition: nil when it
// is True, an exitError with its message when it is False.
func (g *globals) requestAndWait(ctx context.Context, c client.Client, t reconcileTarget, timeout time.Duration, also ...string) error {
	if err := t.get(ctx, c); err != nil {
		return err
	}
	if t.object.IsSuspended() {
		return suspendedError(t)
	}

	g.printf("► annotating %s %s in %s namespace", t.kind.gvk.Kind, t.key.Name, t.key.Namespace)
	token := time.Now().Format(time.RFC3339Nano)
	patch := client.MergeFrom(t.object.DeepCopyObject().(client.Object))
	setAnnotation(t.object, meta.ReconcileRequestAnnotation, token)
	for _, a := range also {
		setAnnotation(t.object, a, token)
	}
	if err := c.Patch(ctx, t.object, patch); err != nil {
		return fmt.Errorf("annotating %s '%s': %w", t.kind.gvk.Kind, t.key, err)
	}
	g.printf("✔ %s annotated", t.kind.gvk.Kind)
	return g.waitReconciled(ctx, c, t, token, timeout)
}

// setAnnotation sets one annotation on obj.
func setAnnotation(obj client.Object, key, value string) {
	a := obj.GetAnnotations()
	if a == nil {
		a = map[string]string{}
	}
	a[key] = value
	obj.SetAnnotations(a)
}

// settled returns the Ready condition of the target's object once the
// controller has answered the request token at the object's current
// generation with Ready True or False, or nil while it has not (see
// reconcileRules for the kinds that settle differently).
func (t reconcileTarget) settled(token string) *metav1.Condition {
	rules := t.kind.rules()
	static := rules.static != nil && rules.static(t.object)
	if !static && t.kind.lastHandled(t.object) != token {
		return nil
	}
	ready := apimeta.FindStatusCondition(t.object.GetConditions(), meta.ReadyCondition)
	switch {
	case ready == nil || ready.Status == metav1.ConditionUnknown || ready.ObservedGeneration != t.object.GetGeneration():
		return nil
	case ready.Status == metav1.ConditionFalse && rules.pending != nil && rules.pending(t.object):
		return nil
	}
	return ready
}

// waitReconciled waits until the controller has handled the request token
// at the object's current generation and Ready is True or False; it
// reports False as an exitError with the condition's message.
func (g *globals) waitReconciled(ctx context.Context, c client.Client, t reconcileTarget, token string, timeout time.Duration) error {
	g.printf("◎ waiting for %s reconciliation", t.kind.gvk.Kind)
	var ready *metav1.Condition
	err := wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		if err := c.Get(ctx, t.key, t.object); err != nil {
			if apierrors.IsNotFound(err) {
				return false, fmt.Errorf("%s '%s' was deleted while waiting", t.kind.gvk.Kind, t.key)
			}
			return false, nil
		}
		ready = t.settled(token)
		return ready != nil, nil
	})
	if err != nil {
		if wait.Interrupted(err) || errors.Is(err, context.DeadlineExceeded) {
			msg := "no status yet"
			if c := apimeta.FindStatusCondition(t.object.GetConditions(), meta.ReadyCondition); c != nil {
				msg = c.Message
			}
			return &exitError{code: 1, err: fmt.Errorf("timed out after %s waiting for %s '%s' to reconcile: %s", timeout, t.kind.gvk.Kind, t.key, msg)}
		}
		return err
	}
	if ready.Status != metav1.ConditionTrue {
		return &exitError{code: 1, err: fmt.Errorf("%s reconciliation failed: %s", t.kind.gvk.Kind, ready.Message)}
	}
	g.printf("✔ %s reconciliation completed", t.kind.gvk.Kind)
	// An object without a revision (an OCI HelmRepository) has nothing
	// more to report.
	if t.kind.revisionOf(t.object) != "" {
		g.printf("✔ %s", t.kind.outcome(t.object))
	}
	return nil
}
