package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/ferrycd/ferry/internal/diff"
)

func newDiffHelmReleaseCommand(g *globals) *cobra.Command {
	f := &renderFlags{}
	cmd := &cobra.Command{
		Use:     "helmrelease NAME",
		Aliases: []string{"hr"},
		Short:   "Diff what an upgrade of a HelmRelease would apply against the cluster with a server-side dry run",
		Long: `Render the HelmRelease NAME as 'ferry build helmrelease' does, with the
values of the cluster, dry-run every object of the release manifest against
the cluster with server-side apply (field manager helm-controller, with the
metadata Helm sets), and print one line per change: '► Kind/namespace/name
created', '... drifted' followed by a unified diff of the cluster object and
the dry-run result, and '... deleted' for the objects of the current release
(in Helm's storage) that the render no longer has. The chart's CRDs are
compared per the crds policy; hooks are not compared. Secret values are
shown as ***. Nothing is changed in the cluster.

Exit code: 0 when there are no changes, 1 when there are, 2 on error.`,
		Example: `  # What would the next upgrade of podinfo change?
  ferry diff helmrelease podinfo

  # What would a new version of the chart change?
  ferry diff hr podinfo --chart-archive ./podinfo-6.1.0.tgz`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := g.renderHelmRelease(cmd.Context(), args[0], f)
			if err != nil {
				return &exitError{code: 2, err: err}
			}
			if r.hr.Spec.KubeConfig != nil && f.file == "" {
				return &exitError{code: 2, err: fmt.Errorf("HelmRelease '%s/%s' installs to a remote cluster (spec.kubeConfig): diff against that cluster with --kubeconfig pointing at it and --helmrelease-file with the HelmRelease's YAML", r.hr.Namespace, r.hr.Name)}
			}
			c, err := g.client()
			if err != nil {
				return &exitError{code: 2, err: err}
			}
			// Dry-run the render as the upgrade would apply it.
			changes, err := diff.HelmRelease(cmd.Context(), c, r.hr, r.next)
			if werr := diff.Write(g.out, changes); werr != nil && err == nil {
				err = werr
			}
			if err != nil {
				return &exitError{code: 2, err: err}
			}
			if diff.Changed(changes) {
				return &exitError{code: 1, err: errors.New("")}
			}
			g.printf("✔ no changes")
			return nil
		},
	}
	f.register(cmd, false)
	return cmd
}
