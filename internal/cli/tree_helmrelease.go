package cli

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	helmv2 "github.com/ferrycd/ferry/api/helm/v2"
	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/internal/apply"
	"github.com/ferrycd/ferry/internal/helm/release"
)

func newTreeHelmReleaseCommand(g *globals) *cobra.Command {
	var compact bool
	var output string
	cmd := &cobra.Command{
		Use:     "helmrelease NAME",
		Aliases: []string{"hr"},
		Short:   "Print the objects of a HelmRelease's release as a tree, descending into the Kustomizations and HelmReleases it installs",
		Long: `Print the objects of the HelmRelease NAME as a tree: those of
status.inventory (the release manifest, hooks excluded), or, when the
status has no inventory, those of the release manifest in Helm's storage.
Every Kustomization and HelmRelease found is expanded into its own objects
(each at most once).`,
		Example: `  # Everything the release of podinfo installed
  ferry tree helmrelease podinfo

  # Only the Flux objects
  ferry tree hr platform --compact`,
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
			hr := &helmv2.HelmRelease{}
			if err := c.Get(cmd.Context(), key, hr); err != nil {
				if apierrors.IsNotFound(err) {
					return fmt.Errorf("HelmRelease '%s' not found", key)
				}
				return fmt.Errorf("getting HelmRelease '%s': %w", key, err)
			}
			t := &fluxTree{c: c, g: g, compact: compact, seen: map[string]bool{treeKey(helmReleaseObject(hr)): true}}
			root, err := t.helmRelease(cmd.Context(), hr)
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

// printTree writes root as text, JSON or YAML.
func (g *globals) printTree(root *treeNode, output string) error {
	switch output {
	case "":
		root.print(g.out)
		return nil
	case "json":
		data, err := json.MarshalIndent(root, "", "  ")
		if err != nil {
			return fmt.Errorf("encoding the tree: %w", err)
		}
		fmt.Fprintf(g.out, "%s\n", data)
		return nil
	default:
		data, err := yaml.Marshal(root)
		if err != nil {
			return fmt.Errorf("encoding the tree: %w", err)
		}
		fmt.Fprintf(g.out, "%s", data)
		return nil
	}
}

// fluxTree builds trees that descend into the Kustomizations and
// HelmReleases they find.
type fluxTree struct {
	c       client.Client
	g       *globals
	compact bool
	// seen holds the Flux objects already expanded, so that one that
	// (indirectly) applies itself does not recurse forever.
	seen map[string]bool
}

func treeKey(obj *unstructured.Unstructured) string {
	return obj.GroupVersionKind().GroupKind().String() + "/" + obj.GetNamespace() + "/" + obj.GetName()
}

func helmReleaseObject(hr *helmv2.HelmRelease) *unstructured.Unstructured {
	obj := &unstructured.Unstructured{}
	obj.SetGroupVersionKind(helmv2.GroupVersion.WithKind(helmv2.HelmReleaseKind))
	obj.SetNamespace(hr.Namespace)
	obj.SetName(hr.Name)
	return obj
}

// helmRelease returns the tree of hr's objects: status.inventory, or the
// manifest of the release in Helm's storage when the status has none. The
// objects of a release in a remote cluster (spec.kubeConfig) are listed,
// not expanded.
func (t *fluxTree) helmRelease(ctx context.Context, hr *helmv2.HelmRelease) (*treeNode, error) {
	node := newTreeNode(helmReleaseObject(hr))
	inv := hr.Status.Inventory
	if inv == nil {
		var err error
		if inv, err = t.storedInventory(ctx, hr); err != nil {
			return nil, err
		}
		if inv == nil {
			return node, nil
		}
	}
	objs, err := apply.Objects(inv)
	if err != nil {
		return nil, fmt.Errorf("reading the inventory of HelmRelease '%s/%s': %w", hr.Namespace, hr.Name, err)
	}
	return node, t.expand(ctx, node, objs, hr.Spec.KubeConfig != nil)
}

// storedInventory lists the objects of the manifest of hr's release in
// Helm's storage (the deployed version, else the newest), nil when there
// is none.
func (t *fluxTree) storedInventory(ctx context.Context, hr *helmv2.HelmRelease) (*kustomizev1.ResourceInventory, error) {
	if hr.Spec.KubeConfig != nil {
		return nil, nil
	}
	c, err := t.g.client()
	if err != nil {
		return nil, err
	}
	rels, err := release.History(ctx, c, hr)
	if err != nil || len(rels) == 0 {
		return nil, err
	}
	rel, _ := release.Current(rels)
	if rel == nil {
		rel = rels[0]
	}
	t.g.printf("► HelmRelease '%s/%s' has no inventory in its status: listing the manifest of release %s/%s.v%d in Helm's storage",
		hr.Namespace, hr.Name, hr.GetStorageNamespace(), rel.Name, rel.Version)
	return release.Inventory(rel, c.RESTMapper()), nil
}

// expand adds objs to node, each Kustomization and HelmRelease among them
// (unless remote) with its own objects.
func (t *fluxTree) expand(ctx context.Context, node *treeNode, objs []*unstructured.Unstructured, remote bool) error {
	for _, obj := range objs {
		if t.compact && !isFluxObject(obj) {
			continue
		}
		gk := obj.GroupVersionKind().GroupKind()
		isKS := gk.Kind == kustomizev1.KustomizationKind && gk.Group == kustomizev1.GroupVersion.Group
		isHR := gk.Kind == helmv2.HelmReleaseKind && gk.Group == helmv2.GroupVersion.Group
		if remote || (!isKS && !isHR) || t.seen[treeKey(obj)] {
			node.Children = append(node.Children, newTreeNode(obj))
			continue
		}
		key := client.ObjectKeyFromObject(obj)
		var child *treeNode
		var err error
		if isKS {
			child, err = t.kustomization(ctx, key)
		} else {
			child, err = t.helmReleaseAt(ctx, key)
		}
		if err != nil {
			return err
		}
		if child == nil {
			child = newTreeNode(obj)
		}
		node.Children = append(node.Children, child)
	}
	return nil
}

// kustomization returns the tree of the Kustomization at key, nil when
// it does not exist.
func (t *fluxTree) kustomization(ctx context.Context, key types.NamespacedName) (*treeNode, error) {
	ks := &kustomizev1.Kustomization{}
	if err := t.c.Get(ctx, key, ks); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("getting Kustomization '%s': %w", key, err)
	}
	self := &unstructured.Unstructured{}
	self.SetGroupVersionKind(kustomizev1.GroupVersion.WithKind(kustomizev1.KustomizationKind))
	self.SetNamespace(ks.Namespace)
	self.SetName(ks.Name)
	t.seen[treeKey(self)] = true
	node := newTreeNode(self)
	if ks.Status.Inventory == nil {
		return node, nil
	}
	objs, err := apply.Objects(ks.Status.Inventory)
	if err != nil {
		return nil, fmt.Errorf("reading the inventory of Kustomization '%s': %w", key, err)
	}
	return node, t.expand(ctx, node, objs, false)
}

// helmReleaseAt returns the tree of the HelmRelease at key, nil when it
// does not exist.
func (t *fluxTree) helmReleaseAt(ctx context.Context, key types.NamespacedName) (*treeNode, error) {
	hr := &helmv2.HelmRelease{}
	if err := t.c.Get(ctx, key, hr); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("getting HelmRelease '%s': %w", key, err)
	}
	t.seen[treeKey(helmReleaseObject(hr))] = true
	return t.helmRelease(ctx, hr)
}
