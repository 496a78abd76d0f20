package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
)

func newGetKustomizationCommand(g *globals, gf *getFlags) *cobra.Command {
	return &cobra.Command{
		Use:     "kustomizations [name]",
		Aliases: []string{"kustomization", "ks"},
		Short:   "Get the status of Kustomizations",
		Example: `  # List the Kustomizations in flux-system
  ferry get kustomizations

  # List them in every namespace
  ferry get ks -A`,
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
			var list kustomizev1.KustomizationList
			if err := c.List(cmd.Context(), &list, gf.listOptions(g)...); err != nil {
				return fmt.Errorf("listing Kustomizations: %w", err)
			}
			var rows []statusRow
			for i := range list.Items {
				ks := &list.Items[i]
				if (len(args) == 1 && ks.Name != args[0]) || !matches(ks.Status.Conditions) {
					continue
				}
				rows = append(rows, rowFor(ks, ks.Status.Conditions, ks.Status.LastAppliedRevision, ks.Spec.Suspend))
			}
			if len(rows) == 0 {
				if len(args) == 1 && gf.statusSelector == "" {
					return fmt.Errorf("Kustomization %q not found in %s namespace", args[0], g.namespace)
				}
				g.noneFound("Kustomization", gf)
				return nil
			}
			return printStatusTable(g.out, rows, gf.allNamespaces, gf.noHeader)
		},
	}
}
