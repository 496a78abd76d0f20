package cli

import (
	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
)

func newExportSourceGitCommand(g *globals, ef *exportFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "git [NAME]",
		Short: "Print GitRepositories as Flux v1 YAML",
		Example: `  # Export one GitRepository
  ferry export source git podinfo

  # Export every GitRepository of flux-system into a file
  ferry export source git --all > sources.yaml`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.runExport(cmd.Context(), gitRepositoryKind, ef, args, exportGitRepository)
		},
	}
}

// exportGitRepository keeps the declared part of a GitRepository.
func exportGitRepository(obj client.Object) any {
	gr := obj.(*sourcev1.GitRepository)
	return &sourcev1.GitRepository{
		TypeMeta:   metav1.TypeMeta{APIVersion: sourcev1.GroupVersion.String(), Kind: sourcev1.GitRepositoryKind},
		ObjectMeta: exportMeta(gr.ObjectMeta),
		Spec:       gr.Spec,
	}
}
