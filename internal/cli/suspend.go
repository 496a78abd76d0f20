package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferrycd/ferry/api/meta"
)

// suspendFlags are the flags of `suspend` and `resume`.
type suspendFlags struct {
	all     bool
	wait    bool
	timeout time.Duration
}

func newSuspendCommand(g *globals) *cobra.Command {
	sf := &suspendFlags{}
	cmd := &cobra.Command{
		Use:   "suspend",
		Short: "Suspend sources, Kustomizations, HelmReleases, Alerts, Providers, Receivers and image automation",
	}
	cmd.PersistentFlags().BoolVar(&sf.all, "all", false, "suspend every object of the kind in the namespace")
	addKindCommands(cmd, kindVerb{
		groupShort: "Suspend",
		only:       suspendable,
		help:       func(h kindHelp) help { return h.suspend },
		run: func(cmd *cobra.Command, k *kind, args []string) error {
			return g.runSuspend(cmd.Context(), k, sf, args)
		},
	})
	return cmd
}

func newResumeCommand(g *globals) *cobra.Command {
	sf := &suspendFlags{}
	cmd := &cobra.Command{
		Use:   "resume",
		Short: "Resume suspended sources, Kustomizations, HelmReleases, Alerts, Providers, Receivers and image automation and wait for their reconciliation",
	}
	cmd.PersistentFlags().BoolVar(&sf.all, "all", false, "resume every object of the kind in the namespace")
	cmd.PersistentFlags().BoolVar(&sf.wait, "wait", true, "wait for the reconciliation after resuming")
	cmd.PersistentFlags().DurationVar(&sf.timeout, "timeout", 5*time.Minute, "how long to wait for the reconciliation")
	addKindCommands(cmd, kindVerb{
		groupShort: "Resume",
		only:       suspendable,
		help:       func(h kindHelp) help { return h.resume },
		run: func(cmd *cobra.Command, k *kind, args []string) error {
			return g.runResume(cmd.Context(), k, sf, args)
		},
	})
	return cmd
}

// suspendable reports whether a kind has spec.suspend (an ImagePolicy
// has none).
func suspendable(k *kind) bool { return k.setSuspend != nil }

// names returns the objects a suspend or resume command acts on.
func (g *globals) names(ctx context.Context, c client.Client, k *kind, sf *suspendFlags, args []string) ([]string, error) {
	switch {
	case sf.all && len(args) > 0:
		return nil, errors.New("give either NAME or --all, not both")
	case sf.all:
		names, err := k.names(ctx, c, g.namespace)
		if err != nil {
			return nil, err
		}
		if len(names) == 0 {
			g.printf("✗ no %s objects found in %s namespace", k.noun(), g.namespace)
		}
		return names, nil
	case len(args) != 1:
		return nil, errors.New("give the NAME of the object, or --all")
	}
	return args, nil
}

// setSuspended patches spec.suspend of the object at key; on resume it also
// requests a reconciliation and returns its token.
func setSuspended(ctx context.Context, c client.Client, k *kind, key types.NamespacedName, suspend bool) (reconcileTarget, string, error) {
	t := k.target(key)
	if err := t.get(ctx, c); err != nil {
		return t, "", err
	}
	patch := client.MergeFrom(t.object.DeepCopyObject().(client.Object))
	k.setSuspend(t.object, suspend)
	token := ""
	if !suspend {
		token = time.Now().Format(time.RFC3339Nano)
		setAnnotation(t.object, meta.ReconcileRequestAnnotation, token)
	}
	if err := c.Patch(ctx, t.object, patch); err != nil {
		return t, "", fmt.Errorf("patching %s '%s': %w", k.gvk.Kind, key, err)
	}
	return t, token, nil
}

// runSuspend suspends the named objects of kind k.
func (g *globals) runSuspend(ctx context.Context, k *kind, sf *suspendFlags, args []string) error {
	c, err := g.client()
	if err != nil {
		return err
	}
	names, err := g.names(ctx, c, k, sf, args)
	if err != nil {
		return err
	}
	for _, name := range names {
		g.printf("► suspending %s %s in %s namespace", k.noun(), name, g.namespace)
		if _, _, err := setSuspended(ctx, c, k, types.NamespacedName{Namespace: g.namespace, Name: name}, true); err != nil {
			return err
		}
		g.printf("✔ %s suspended", k.noun())
	}
	return nil
}

// runResume resumes the named objects of kind k and, with --wait, waits for
// each to reconcile.
func (g *globals) runResume(ctx context.Context, k *kind, sf *suspendFlags, args []string) error {
	c, err := g.client()
	if err != nil {
		return err
	}
	names, err := g.names(ctx, c, k, sf, args)
	if err != nil {
		return err
	}
	var failed []error
	for _, name := range names {
		g.printf("► resuming %s %s in %s namespace", k.noun(), name, g.namespace)
		t, token, err := setSuspended(ctx, c, k, types.NamespacedName{Namespace: g.namespace, Name: name}, false)
		if err != nil {
			return err
		}
		g.printf("✔ %s resumed", k.noun())
		if !sf.wait {
			continue
		}
		if err := g.waitReconciled(ctx, c, t, token, sf.timeout); err != nil {
			failed = append(failed, err)
		}
	}
	switch len(failed) {
	case 0:
		return nil
	case 1:
		return failed[0]
	}
	return &exitError{code: 1, err: errors.Join(failed...)}
}
