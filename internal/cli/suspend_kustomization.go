package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
)

// kustomizationKind is the Kustomization for suspend, resume and export.
var kustomizationKind = suspendable{
	noun:   "kustomization",
	target: kustomizationTarget,
	setSuspend: func(obj client.Object, suspend bool) {
		obj.(*kustomizev1.Kustomization).Spec.Suspend = suspend
	},
	list: func(ctx context.Context, c client.Client, namespace string) ([]string, error) {
		var list kustomizev1.KustomizationList
		if err := c.List(ctx, &list, client.InNamespace(namespace)); err != nil {
			return nil, fmt.Errorf("listing Kustomizations: %w", err)
		}
		names := make([]string, len(list.Items))
		for i := range list.Items {
			names[i] = list.Items[i].Name
		}
		return names, nil
	},
}

func newSuspendKustomizationCommand(g *globals, sf *suspendFlags) *cobra.Command {
	return &cobra.Command{
		Use:     "kustomization [NAME]",
		Aliases: []string{"ks"},
		Short:   "Suspend a Kustomization: it stops applying until resumed",
		Example: `  # Stop applying apps
  ferry suspend kustomization apps`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.runSuspend(cmd.Context(), kustomizationKind, sf, args)
		},
	}
}
