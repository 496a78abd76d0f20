package cli

import (
	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
)

func newExportKustomizationCommand(g *globals, ef *exportFlags) *cobra.Command {
	return &cobra.Command{
		Use:     "kustomization [NAME]",
		Aliases: []string{"ks"},
		Short:   "Print Kustomizations as Flux v1 YAML",
		Example: `  # Export one Kustomization
  ferry export kustomization apps

  # Export every Kustomization of flux-system
  ferry export kustomization --all > kustomizations.yaml`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.runExport(cmd.Context(), kustomizationKind, ef, args, exportKustomization)
		},
	}
}

// exportKustomization keeps the declared part of a Kustomization.
func exportKustomization(obj client.Object) any {
	ks := obj.(*kustomizev1.Kustomization)
	return &kustomizev1.Kustomization{
		TypeMeta:   metav1.TypeMeta{APIVersion: kustomizev1.GroupVersion.String(), Kind: kustomizev1.KustomizationKind},
		ObjectMeta: exportMeta(ks.ObjectMeta),
		Spec:       ks.Spec,
	}
}
