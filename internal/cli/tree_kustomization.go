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
		Short: "Print the objects a Kustomization or HelmRelease manages as a tree",
	}
	cmd.AddCommand(newTreeKustomizationCommand(g), newTreeHelmReleaseCommand(g))
	return cmd
}

func newTreeKustomizationCommand(g *globals) *cobra.Command {
	var compact bool
	var output string
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
			if output != "" && output != "json" && output != "yaml" {
				return fmt.Errorf("--output %q: the formats are json and yaml", output)
			}
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
			return g.printTree(root, output)
		},
	}
	cmd.Flags().BoolVar(&compact, "compact", false, "list only the Flux objects (toolkit.fluxcd.io API groups)")
	cmd.Flags().StringVarP(&output, "output", "o", "", "print the tree as 'json' or 'yaml' (Flux's resource/resources shape) instead of text")
	return cmd
}

// treeNode is one object of a tree. Its JSON is that of flux tree -o json.
type treeNode struct {
	label    string
	Object   treeObject  `json:"resource"`
	Children []*treeNode `json:"resources,omitempty"`
}

// treeObject identifies an object as cli-utils' ObjMetadata does.
type treeObject struct {
	Namespace string          `json:"Namespace"`
	Name      string          `json:"Name"`
	GroupKind treeObjectGroup `json:"GroupKind"`
}

type treeObjectGroup struct {
	Group string `json:"Group"`
	Kind  string `json:"Kind"`
}

func newTreeNode(obj *unstructured.Unstructured) *treeNode {
	gvk := obj.GroupVersionKind()
	return &treeNode{
		label:  objectRef(obj),
		Object: treeObject{Namespace: obj.GetNamespace(), Name: obj.GetName(), GroupKind: treeObjectGroup{Group: gvk.Group, Kind: gvk.Kind}},
	}
}

// inventoryTree returns the tree of ks's inventory, in inventory order, with
// each Kustomization in it expanded to its own inventory; seen stops a
// Kustomization that (indirectly) applies itself from recursing forever.
func inventoryTree(ctx context.Context, c client.Client, ks *kustomizev1.Kustomization, compact bool, seen map[types.NamespacedName]bool) (*treeNode, error) {
	self := &unstructured.Unstructured{}
	self.SetGroupVersionKind(kustomizev1.GroupVersion.WithKind(kustomizev1.KustomizationKind))
	self.SetNamespace(ks.Namespace)
	self.SetName(ks.Name)
	node := newTreeNode(self)
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
			node.Children = append(node.Children, newTreeNode(obj))
			continue
		}
		child := &kustomizev1.Kustomization{}
		if err := c.Get(ctx, key, child); err != nil {
			if !apierrors.IsNotFound(err) {
				return nil, fmt.Errorf("getting Kustomization '%s': %w", key, err)
			}
			node.Children = append(node.Children, newTreeNode(obj))
			continue
		}
		seen[key] = true
		sub, err := inventoryTree(ctx, c, child, compact, seen)
		if err != nil {
			return nil, err
		}
		node.Children = append(node.Children, sub)
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
	for i, c := range n.Children {
		branch, indent := "├── ", "│   "
		if i == len(n.Children)-1 {
			branch, indent = "└── ", "    "
		}
		fmt.Fprintln(w, prefix+branch+c.label)
		c.printChildren(w, prefix+indent)
	}
}
