package cli

import (
	"errors"
	"fmt"
	"sort"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	imagev1 "github.com/ferrycd/ferry/api/image/v1"
	"github.com/ferrycd/ferry/internal/controller/image"
	"github.com/ferrycd/ferry/internal/image/setters"
)

// newDiffImageCommand is `ferry diff image`: what an ImagePolicy would
// choose from the registry now, and what an ImageUpdateAutomation would
// change in a local checkout. Flux has neither (its users ask for both:
// image-automation-controller #159, #180).
func newDiffImageCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "image",
		Short: "Preview what an ImagePolicy would choose and what an ImageUpdateAutomation would change",
	}
	cmd.AddCommand(newDiffImagePolicyCommand(g), newDiffImageUpdateCommand(g))
	return cmd
}

func newDiffImagePolicyCommand(g *globals) *cobra.Command {
	limit := 10
	cmd := &cobra.Command{
		Use:   "policy NAME",
		Short: "List the tags an ImagePolicy accepts, newest first, from its registry now",
		Long: `List the tags of the ImagePolicy's ImageRepository from the registry, as its
scan would (the same credentials, TLS and exclusion list; the Secrets are
read with your rights), and print those the policy accepts, newest first,
marking the one it would choose and comparing it with the status.

Exit code: 0 when the choice is the one in the status, 1 when it differs,
2 on error.`,
		Example: `  # Which tags does the policy web accept, and would it move?
  ferry diff image policy web

  # The 30 newest accepted tags
  ferry diff image policy web --limit=30`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			c, err := g.client()
			if err != nil {
				return &exitError{code: 2, err: err}
			}
			pol := &imagev1.ImagePolicy{}
			if err := c.Get(ctx, types.NamespacedName{Namespace: g.namespace, Name: args[0]}, pol); err != nil {
				return &exitError{code: 2, err: fmt.Errorf("reading ImagePolicy '%s/%s': %w", g.namespace, args[0], err)}
			}
			sel, err := image.Selector(pol)
			if err != nil {
				return &exitError{code: 2, err: err}
			}
			ref := pol.Spec.ImageRepositoryRef
			repo := &imagev1.ImageRepository{}
			key := types.NamespacedName{Namespace: ref.Namespace, Name: ref.Name}
			if key.Namespace == "" {
				key.Namespace = pol.Namespace
			}
			if err := c.Get(ctx, key, repo); err != nil {
				return &exitError{code: 2, err: fmt.Errorf("reading ImageRepository '%s': %w", key, err)}
			}
			tags, _, f := image.ListTags(ctx, c, &image.Registries{}, repo)
			if f != nil {
				return &exitError{code: 2, err: f}
			}
			candidates := sel.Candidates(tags, 0)
			g.printf("► %d tags of %s (after the exclusion list); the policy accepts %d of them", len(tags), repo.Spec.Image, len(candidates))
			if limit > 0 && len(candidates) > limit {
				candidates = candidates[:limit]
			}
			if len(candidates) == 0 {
				_, err := sel.Latest(tags)
				return &exitError{code: 2, err: err}
			}
			for i, t := range candidates {
				mark := " "
				if i == 0 {
					mark = "→"
				}
				fmt.Fprintf(g.out, "%s %s\n", mark, t)
			}
			current := ""
			if l := pol.Status.LatestRef; l != nil {
				current = l.Tag
			}
			if current == candidates[0] {
				g.printf("✔ the policy's choice stands: %s", current)
				return nil
			}
			g.printf("► the policy would choose %s (its status says %q)", candidates[0], current)
			return &exitError{code: 1, err: errors.New("")}
		},
	}
	cmd.Flags().IntVar(&limit, "limit", limit, "how many accepted tags to list, newest first (0 for all)")
	return cmd
}

func newDiffImageUpdateCommand(g *globals) *cobra.Command {
	var path string
	cmd := &cobra.Command{
		Use:   "update NAME --path DIR",
		Short: "Show what an ImageUpdateAutomation would change in a local checkout",
		Long: `Write the latest images of the ImagePolicies the ImageUpdateAutomation
selects into the $imagepolicy markers of a local checkout, in memory, and
print each change: file, object, old and new value. Nothing is written;
DIR is the root of the checkout, and the automation's spec.update.path is
read below it. Markers naming a policy that is not selected or not Ready
are listed apart.

Exit code: 0 when nothing would change, 1 when something would, 2 on error.`,
		Example: `  # What would the automation flux-system commit to this clone?
  ferry diff image update flux-system --path .`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if path == "" {
				return &exitError{code: 2, err: errors.New("--path is required: the root of a checkout of the automation's repository")}
			}
			ctx := cmd.Context()
			c, err := g.client()
			if err != nil {
				return &exitError{code: 2, err: err}
			}
			auto := &imagev1.ImageUpdateAutomation{}
			if err := c.Get(ctx, client.ObjectKey{Namespace: g.namespace, Name: args[0]}, auto); err != nil {
				return &exitError{code: 2, err: fmt.Errorf("reading ImageUpdateAutomation '%s/%s': %w", g.namespace, args[0], err)}
			}
			policies, _, err := image.Policies(ctx, c, auto)
			if err != nil {
				return &exitError{code: 2, err: err}
			}
			res, err := setters.Apply(path, auto.GetPath(), policies, setters.Options{DryRun: true})
			if err != nil {
				return &exitError{code: 2, err: err}
			}
			markers, err := setters.Markers(path, auto.GetPath(), setters.Options{})
			if err != nil {
				return &exitError{code: 2, err: err}
			}
			for _, m := range markers {
				if _, ok := policies[setters.PolicyKey(m.Setter)]; !ok {
					g.printf("⚠ %s:%d names '%s', not a Ready ImagePolicy this automation selects: left as it is", m.File, m.Line, m.Setter)
				}
			}
			for _, s := range res.Skipped {
				g.printf("⚠ %s is not YAML (a template?): skipped", s)
			}
			if len(res.FileChanges) == 0 {
				g.printf("✔ no changes")
				return nil
			}
			for _, file := range res.Files() {
				changes := res.FileChanges[file]
				ids := make([]setters.ObjectIdentifier, 0, len(changes))
				for id := range changes {
					ids = append(ids, id)
				}
				sort.Slice(ids, func(i, j int) bool { return ids[i].Kind+"/"+ids[i].Name < ids[j].Kind+"/"+ids[j].Name })
				for _, id := range ids {
					for _, ch := range changes[id] {
						fmt.Fprintf(g.out, "%s %s: %s -> %s (%s)\n", file, markedObject(id), ch.OldValue, ch.NewValue, ch.Setter)
					}
				}
			}
			return &exitError{code: 1, err: errors.New("")}
		},
	}
	cmd.Flags().StringVar(&path, "path", "", "root of a local checkout of the automation's repository (required)")
	return cmd
}

func markedObject(id setters.ObjectIdentifier) string {
	if id.Kind == "" {
		return "(no object)"
	}
	if id.Namespace != "" {
		return id.Kind + "/" + id.Namespace + "/" + id.Name
	}
	return id.Kind + "/" + id.Name
}
