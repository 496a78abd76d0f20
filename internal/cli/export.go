package cli

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferrycd/ferry/api/meta"
)

// exportFlags are the flags of every `export` command.
type exportFlags struct {
	all bool
}

func newExportCommand(g *globals) *cobra.Command {
	ef := &exportFlags{}
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Print sources, Kustomizations, HelmReleases, Alerts, Providers and Receivers as Flux YAML, without status",
	}
	cmd.PersistentFlags().BoolVar(&ef.all, "all", false, "export every object of the kind in the namespace")
	addKindCommands(cmd, kindVerb{
		groupShort: "Export",
		help:       func(h kindHelp) help { return h.export },
		run: func(cmd *cobra.Command, k *kind, args []string) error {
			return g.runExport(cmd.Context(), k, ef, args)
		},
	})
	return cmd
}

// droppedAnnotations are left out of exports: they record how and when the
// object was last touched, not what it declares.
var droppedAnnotations = []string{
	"kubectl.kubernetes.io/last-applied-configuration",
	meta.ReconcileRequestAnnotation,
	meta.ForceRequestAnnotation,
	meta.ResetRequestAnnotation,
}

// exported keeps what a user declares of an object, the same for every
// kind: apiVersion, kind, spec, and of the metadata the name, namespace,
// labels and annotations. Status and what the server sets are left out.
func exported(k *kind, obj fluxObject) (map[string]any, error) {
	u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return nil, fmt.Errorf("encoding %s '%s': %w", k.gvk.Kind, client.ObjectKeyFromObject(obj), err)
	}
	md := metav1.ObjectMeta{Name: obj.GetName(), Namespace: obj.GetNamespace(), Labels: obj.GetLabels()}
	for key, v := range obj.GetAnnotations() {
		if !slices.Contains(droppedAnnotations, key) {
			if md.Annotations == nil {
				md.Annotations = map[string]string{}
			}
			md.Annotations[key] = v
		}
	}
	return map[string]any{
		"apiVersion": k.gvk.GroupVersion().String(),
		"kind":       k.gvk.Kind,
		"metadata":   md,
		"spec":       u["spec"],
	}, nil
}

// runExport prints the named objects of kind k (or all with --all) in name
// order.
func (g *globals) runExport(ctx context.Context, k *kind, ef *exportFlags, args []string) error {
	switch {
	case ef.all && len(args) > 0:
		return errors.New("give either NAME or --all, not both")
	case !ef.all && len(args) != 1:
		return errors.New("give the NAME of the object, or --all")
	}
	c, err := g.client()
	if err != nil {
		return err
	}
	names := args
	if ef.all {
		if names, err = k.names(ctx, c, g.namespace); err != nil {
			return err
		}
		sort.Strings(names)
		if len(names) == 0 {
			g.printf("✗ no %s objects found in %s namespace", k.noun(), g.namespace)
			return nil
		}
	}
	for _, name := range names {
		t := k.target(types.NamespacedName{Namespace: g.namespace, Name: name})
		if err := t.get(ctx, c); err != nil {
			return err
		}
		out, err := exported(k, t.object)
		if err != nil {
			return err
		}
		if err := printYAML(g, out); err != nil {
			return err
		}
	}
	return nil
}
