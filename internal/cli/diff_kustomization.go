package cli

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/internal/diff"
)

func newDiffCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "diff",
		Short: "Compare local builds of Kustomizations and HelmReleases with the cluster, local files with OCI artifacts, and preview image automation",
	}
	cmd.AddCommand(newDiffKustomizationCommand(g), newDiffHelmReleaseCommand(g), newDiffArtifactCommand(g), newDiffImageCommand(g))
	return cmd
}

func newDiffKustomizationCommand(g *globals) *cobra.Command {
	f := &localBuildFlags{}
	cmd := &cobra.Command{
		Use:     "kustomization NAME",
		Aliases: []string{"ks"},
		Short:   "Diff a local build of a Kustomization against the cluster with a server-side dry run",
		Long: `Build a local directory as 'ferry build kustomization' does, dry-run every
object against the cluster with server-side apply (field manager
kustomize-controller, as the controller applies), and print one line per
change: '► Kind/namespace/name created', '... drifted' followed by a unified
diff of the cluster object and the dry-run result, and, when spec.prune is
true, '... deleted' for inventory objects the build no longer has. Secret
values are shown as ***. Nothing is changed in the cluster.

Exit code: 0 when there are no changes, 1 when there are, 2 on error.`,
		Example: `  # What would the Kustomization apps change if ./apps/staging were pushed?
  ferry diff kustomization apps --path ./apps/staging`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			defer f.done()
			builds, err := g.localBuilds(cmd.Context(), args[0], f)
			if err != nil {
				return &exitError{code: 2, err: err}
			}
			c, err := g.client()
			if err != nil {
				return &exitError{code: 2, err: err}
			}
			changed := false
			for i, lb := range builds {
				if lb.ks.Spec.KubeConfig != nil && i > 0 {
					g.printf("⚠ skipping Kustomization '%s/%s': it applies to a remote cluster (spec.kubeConfig)", lb.ks.Namespace, lb.ks.Name)
					continue
				}
				if lb.ks.Spec.KubeConfig != nil && f.kustomizationFile == "" {
					return &exitError{code: 2, err: fmt.Errorf("Kustomization '%s/%s' applies to a remote cluster (spec.kubeConfig): diff against that cluster with --kubeconfig pointing at it and --kustomization-file with the Kustomization's YAML", lb.ks.Namespace, lb.ks.Name)}
				}
				if lb.ks.Status.Inventory == nil {
					// Read from a file or found in a build: the inventory,
					// for what a prune would delete, is the cluster's.
					live := &kustomizev1.Kustomization{}
					if err := c.Get(cmd.Context(), client.ObjectKeyFromObject(lb.ks), live); err == nil {
						lb.ks.Status.Inventory = live.Status.Inventory
					}
				}
				drift, err := diffKustomization(cmd.Context(), c, lb, g.out)
				if err != nil {
					return &exitError{code: 2, err: err}
				}
				changed = changed || drift
			}
			if changed {
				return &exitError{code: 1, err: errors.New("")}
			}
			g.printf("✔ no changes")
			return nil
		},
	}
	f.register(cmd, false)
	return cmd
}

// diffKustomization dry-runs the objects of lb against the cluster, writes
// the changes to w and reports whether there are any.
func diffKustomization(ctx context.Context, c client.Client, lb *localBuildResult, w io.Writer) (bool, error) {
	changes, err := diff.Kustomization(ctx, c, lb.ks, lb.objects, lb.sub)
	if werr := diff.Write(w, changes); werr != nil && err == nil {
		err = werr
	}
	return diff.Changed(changes), err
}

// maskErr masks values read from Secrets in err's message.
func (lb *localBuildResult) maskErr(err error) error { return diff.MaskErr(err, lb.sub) }
