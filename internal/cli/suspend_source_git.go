package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	"sigs.k8s.io/controller-runtime/pkg/client"

	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
)

// gitRepositoryKind is the GitRepository for suspend, resume and export.
var gitRepositoryKind = suspendable{
	noun:   "source git",
	target: gitRepositoryTarget,
	setSuspend: func(obj client.Object, suspend bool) {
		obj.(*sourcev1.GitRepository).Spec.Suspend = suspend
	},
	list: func(ctx context.Context, c client.Client, namespace string) ([]string, error) {
		var list sourcev1.GitRepositoryList
		if err := c.List(ctx, &list, client.InNamespace(namespace)); err != nil {
			return nil, fmt.Errorf("listing GitRepositories: %w", err)
		}
		names := make([]string, len(list.Items))
		for i := range list.Items {
			names[i] = list.Items[i].Name
		}
		return names, nil
	},
}

func newSuspendSourceGitCommand(g *globals, sf *suspendFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "git [NAME]",
		Short: "Suspend a GitRepository: it stops fetching until resumed",
		Example: `  # Stop fetching podinfo
  ferry suspend source git podinfo

  # Suspend every GitRepository in flux-system
  ferry suspend source git --all`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.runSuspend(cmd.Context(), gitRepositoryKind, sf, args)
		},
	}
}
