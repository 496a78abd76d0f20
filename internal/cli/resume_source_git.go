package cli

import "github.com/spf13/cobra"

func newResumeSourceGitCommand(g *globals, sf *suspendFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "git [NAME]",
		Short: "Resume a suspended GitRepository and wait until it has fetched",
		Example: `  # Resume podinfo and wait for its artifact
  ferry resume source git podinfo`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.runResume(cmd.Context(), gitRepositoryKind, sf, args)
		},
	}
}
