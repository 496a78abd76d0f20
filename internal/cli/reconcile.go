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
		Short: "Reconcile sources and Kustomizations now, and wait for the outcome",
	}
	cmd.PersistentFlags().DurationVar(&rf.timeout, "timeout", 5*time.Minute, "how long to wait for the reconciliation")
	source := &cobra.Command{
		Use:   "source",
		Short: "Reconcile sources",
	}
	source.AddCommand(newReconcileSourceGitCommand(g, rf))
	cmd.AddCommand(source, newReconcileKustomizationCommand(g, rf))
	return cmd
}

// reconcilable is a ferry object that can be asked to reconcile.
type reconcilable interface {
	client.Object
	GetConditions() []metav1.Condition
}

// reconcileTarget describes how to ask one kind to reconcile and how to read
// the outcome.
type reconcileTarget struct {
	kind        string
	key         types.NamespacedName
	object      reconcilable
	suspended   func() bool
	lastHandled func() string
	// outcome says what a successful reconciliation produced, e.g.
	// "applied revision main@sha1:...".
	outcome func() string
}

// requestAndWait annotates the object with reconcile.fluxcd.io/requestedAt
// and waits until the controller has handled that request, then reports the
// Ready condition: nil when it is True, an exitError with its message when
// it is False.
func (g *globals) requestAndWait(ctx context.Context, c client.Client, t reconcileTarget, timeout time.Duration) error {
	if err := c.Get(ctx, t.key, t.object); err != nil {
		if apierrors.IsNotFound(err) {
			return fmt.Errorf("%s '%s' not found", t.kind, t.key)
		}
		return fmt.Errorf("getting %s '%s': %w", t.kind, t.key, err)
	}
	if t.suspended() {
		return fmt.Errorf("%s '%s' is suspended: resume it first with 'ferry resume'", t.kind, t.key)
	}

	g.printf("► annotating %s %s in %s namespace", t.kind, t.key.Name, t.key.Namespace)
	token := time.Now().Format(time.RFC3339Nano)
	patch := client.MergeFrom(t.object.DeepCopyObject().(client.Object))
	setAnnotation(t.object, meta.ReconcileRequestAnnotation, token)
	if err := c.Patch(ctx, t.object, patch); err != nil {
		return fmt.Errorf("annotating %s '%s': %w", t.kind, t.key, err)
	}
	g.printf("✔ %s annotated", t.kind)
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

// waitReconciled waits until the controller has handled the request token
// at the object's current generation and Ready is True or False; it
// reports False as an exitError with the condition's message.
func (g *globals) waitReconciled(ctx context.Context, c client.Client, t reconcileTarget, token string, timeout time.Duration) error {
	g.printf("◎ waiting for %s reconciliation", t.kind)
	var ready *metav1.Condition
	err := wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		if err := c.Get(ctx, t.key, t.object); err != nil {
			if apierrors.IsNotFound(err) {
				return false, fmt.Errorf("%s '%s' was deleted while waiting", t.kind, t.key)
			}
			return false, nil
		}
		if t.lastHandled() != token {
			return false, nil
		}
		ready = apimeta.FindStatusCondition(t.object.GetConditions(), meta.ReadyCondition)
		return ready != nil && ready.Status != metav1.ConditionUnknown && ready.ObservedGeneration == t.object.GetGeneration(), nil
	})
	if err != nil {
		if wait.Interrupted(err) || errors.Is(err, context.DeadlineExceeded) {
			msg := "no status yet"
			if c := apimeta.FindStatusCondition(t.object.GetConditions(), meta.ReadyCondition); c != nil {
				msg = c.Message
			}
			return &exitError{code: 1, err: fmt.Errorf("timed out after %s waiting for %s '%s' to reconcile: %s", timeout, t.kind, t.key, msg)}
		}
		return err
	}
	if ready.Status != metav1.ConditionTrue {
		return &exitError{code: 1, err: fmt.Errorf("%s reconciliation failed: %s", t.kind, ready.Message)}
	}
	g.printf("✔ %s reconciliation completed", t.kind)
	g.printf("✔ %s", t.outcome())
	return nil
}
