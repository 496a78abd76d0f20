package cli

import (
	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/types"

	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
)

func newReconcileSourceGitCommand(g *globals, rf *reconcileFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "git NAME",
		Short: "Fetch a GitRepository now and wait for the new artifact",
		Example: `  # Fetch the latest commit of the flux-system repository
  ferry reconcile source git flux-system`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			return g.requestAndWait(cmd.Context(), c, gitRepositoryTarget(types.NamespacedName{Namespace: g.namespace, Name: args[0]}), rf.timeout)
		},
	}
}

// gitRepositoryTarget describes a GitRepository for requestAndWait.
func gitRepositoryTarget(key types.NamespacedName) reconcileTarget {
	gr := &sourcev1.GitRepository{}
	return reconcileTarget{
		kind:        sourcev1.GitRepositoryKind,
		key:         key,
		object:      gr,
		suspended:   func() bool { return gr.Spec.Suspend },
		lastHandled: func() string { return gr.Status.LastHandledReconcileAt },
		outcome: func() string {
			if gr.Status.Artifact == nil {
				return "fetched"
			}
			return "fetched revision " + gr.Status.Artifact.Revision
		},
	}
}
