package cli

import (
	"fmt"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/types"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
)

func newReconcileKustomizationCommand(g *globals, rf *reconcileFlags) *cobra.Command {
	var withSource bool
	cmd := &cobra.Command{
		Use:     "kustomization NAME",
		Aliases: []string{"ks"},
		Short:   "Apply a Kustomization now and wait for the outcome",
		Example: `  # Apply the Kustomization outside of its interval
  ferry reconcile kustomization apps

  # Fetch its source first, then apply what it fetched
  ferry reconcile kustomization apps --with-source`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			key := types.NamespacedName{Namespace: g.namespace, Name: args[0]}
			ks := &kustomizev1.Kustomization{}
			if withSource {
				if err := c.Get(cmd.Context(), key, ks); err != nil {
					return fmt.Errorf("getting Kustomization '%s': %w", key, err)
				}
				ref := ks.Spec.SourceRef
				if ref.Kind != sourcev1.GitRepositoryKind {
					return fmt.Errorf("--with-source does not support source kind %q yet; reconcile the source separately", ref.Kind)
				}
				srcKey := types.NamespacedName{Namespace: ref.Namespace, Name: ref.Name}
				if srcKey.Namespace == "" {
					srcKey.Namespace = key.Namespace
				}
				if err := g.requestAndWait(cmd.Context(), c, gitRepositoryTarget(srcKey), rf.timeout); err != nil {
					return err
				}
			}
			return g.requestAndWait(cmd.Context(), c, kustomizationTarget(key), rf.timeout)
		},
	}
	cmd.Flags().BoolVar(&withSource, "with-source", false, "reconcile the Kustomization's source first")
	return cmd
}

// kustomizationTarget describes a Kustomization for requestAndWait.
func kustomizationTarget(key types.NamespacedName) reconcileTarget {
	ks := &kustomizev1.Kustomization{}
	return reconcileTarget{
		kind:        kustomizev1.KustomizationKind,
		key:         key,
		object:      ks,
		suspended:   func() bool { return ks.Spec.Suspend },
		lastHandled: func() string { return ks.Status.LastHandledReconcileAt },
		outcome:     func() string { return "applied revision " + ks.Status.LastAppliedRevision },
	}
}
