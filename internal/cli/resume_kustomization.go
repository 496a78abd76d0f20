package cli

import "github.com/spf13/cobra"

func newResumeKustomizationCommand(g *globals, sf *suspendFlags) *cobra.Command {
	return &cobra.Command{
		Use:     "kustomization [NAME]",
		Aliases: []string{"ks"},
		Short:   "Resume a suspended Kustomization and wait until it has applied",
		Example: `  # Resume apps and wait for the apply
  ferry resume kustomization apps`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.runResume(cmd.Context(), kustomizationKind, sf, args)
		},
	}
}
