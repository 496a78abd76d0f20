package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
)

func newGetSourceGitCommand(g *globals, gf *getFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "git [name]",
		Short: "Get the status of GitRepository sources",
		Example: `  # List the GitRepositories in flux-system
  ferry get sources git

  # List them in every namespace
  ferry get sources git -A`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			matches, err := gf.statusFilter()
			if err != nil {
				return err
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			var list sourcev1.GitRepositoryList
			if err := c.List(cmd.Context(), &list, gf.listOptions(g)...); err != nil {
				return fmt.Errorf("listing GitRepositories: %w", err)
			}
			var rows []statusRow
			for i := range list.Items {
				gr := &list.Items[i]
				if (len(args) == 1 && gr.Name != args[0]) || !matches(gr.Status.Conditions) {
					continue
				}
				rev := ""
				if gr.Status.Artifact != nil {
					rev = gr.Status.Artifact.Revision
				}
				rows = append(rows, rowFor(gr, gr.Status.Conditions, rev, gr.Spec.Suspend))
			}
			if len(rows) == 0 {
				if len(args) == 1 && gf.statusSelector == "" {
					return fmt.Errorf("GitRepository %q not found in %s namespace", args[0], g.namespace)
				}
				g.noneFound("GitRepository", gf)
				return nil
			}
			return printStatusTable(g.out, rows, gf.allNamespaces, gf.noHeader)
		},
	}
}
