package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/internal/apply"
)

func newTreeCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tree",
		Short: "Print the objects a Kustomization manages as a tree",
	}
	cmd.AddCommand(newTreeKustomizationCommand(g))
	return cmd
}

func newTreeKustomizationCommand(g *globals) *cobra.Command {
	var compact bool
	cmd := &cobra.Command{
		Use:     "kustomization NAME",
		Aliases: []string{"ks"},
		Short:   "Print the inventory of a Kustomization as a tree, descending into the Kustomizations it applies",
		Example: `  # Everything flux-system applies, and what the Kustomizations it applies apply
  ferry tree kustomization flux-system

  # Only the Flux objects (Kustomizations and sources)
  ferry tree ks flux-system --compact`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			key := types.NamespacedName{Namespace: g.namespace, Name: args[0]}
			ks := &kustomizev1.Kustomization{}
			if err := c.Get(cmd.Context(), key, ks); err != nil {
				if apierrors.IsNotFound(err) {
					return fmt.Errorf("Kustomization '%s' not found", key)
				}
				return fmt.Errorf("getting Kustomization '%s': %w", key, err)
			}
			root, err := inventoryTree(cmd.Context(), c, ks, compact, map[types.NamespacedName]bool{key: true})
			if err != nil {
				return err
			}
			root.print(g.out)
			return nil
		},
	}
	cmd.Flags().BoolVar(&compact, "compact", false, "list only the Flux objects (toolkit.fluxcd.io API groups)")
	return cmd
}

// treeNode is one object of a tree.
type treeNode struct {
	label    string
	children []*treeNode
}

// inventoryTree returns the tree of ks's inventory, in inventory order, with
// each Kustomization in it expanded to its own inventory; seen stops a
// Kustomization that (indirectly) applies itself from recursing forever.
func inventoryTree(ctx context.Context, c client.Client, ks *kustomizev1.Kustomization, compact bool, seen map[types.NamespacedName]bool) (*treeNode, error) {
	node := &treeNode{label: kustomizev1.KustomizationKind + "/" + ks.Namespace + "/" + ks.Name}
	if ks.Status.Inventory == nil {
		return node, nil
	}
	objs, err := apply.Objects(ks.Status.Inventory)
	if err != nil {
		return nil, fmt.Errorf("reading the inventory of Kustomization '%s/%s': %w", ks.Namespace, ks.Name, err)
	}
	for _, obj := range objs {
		if compact && !isFluxObject(obj) {
			continue
		}
		key := types.NamespacedName{Namespace: obj.GetNamespace(), Name: obj.GetName()}
		if obj.GetKind() != kustomizev1.KustomizationKind || obj.GroupVersionKind().Group != kustomizev1.GroupVersion.Group || seen[key] {
			node.children = append(node.children, &treeNode{label: objectRef(obj)})
			continue
		}
		child := &kustomizev1.Kustomization{}
		if err := c.Get(ctx, key, child); err != nil {
			if !apierrors.IsNotFound(err) {
				return nil, fmt.Errorf("getting Kustomization '%s': %w", key, err)
			}
			node.children = append(node.children, &treeNode{label: objectRef(obj)})
			continue
		}
		seen[key] = true
		sub, err := inventoryTree(ctx, c, child, compact, seen)
		if err != nil {
			return nil, err
		}
		node.children = append(node.children, sub)
	}
	return node, nil
}

// isFluxObject reports whether obj is of a Flux API group.
func isFluxObject(obj *unstructured.Unstructured) bool {
	group := obj.GroupVersionKind().Group
	const suffix = ".toolkit.fluxcd.io"
	return len(group) > len(suffix) && group[len(group)-len(suffix):] == suffix
}

// print writes the tree with Flux's box-drawing branches.
func (n *treeNode) print(w io.Writer) {
	fmt.Fprintln(w, n.label)
	n.printChildren(w, "")
}

func (n *treeNode) printChildren(w io.Writer, prefix string) {
	for i, c := range n.children {
		branch, indent := "├── ", "│   "
		if i == len(n.children)-1 {
			branch, indent = "└── ", "    "
		}
		fmt.Fprintln(w, prefix+branch+c.label)
		c.printChildren(w, prefix+indent)
	}
}
