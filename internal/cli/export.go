package cli

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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
		Short: "Print sources and Kustomizations as Flux YAML, without status",
	}
	cmd.PersistentFlags().BoolVar(&ef.all, "all", false, "export every object of the kind in the namespace")
	source := &cobra.Command{Use: "source", Short: "Export sources"}
	source.AddCommand(newExportSourceGitCommand(g, ef))
	cmd.AddCommand(source, newExportKustomizationCommand(g, ef))
	return cmd
}

// droppedAnnotations are left out of exports: they record how and when the
// object was last touched, not what it declares.
var droppedAnnotations = []string{
	"kubectl.kubernetes.io/last-applied-configuration",
	meta.ReconcileRequestAnnotation,
}

// exportMeta keeps what a user declares of an object's metadata: name,
// namespace, labels and annotations.
func exportMeta(in metav1.ObjectMeta) metav1.ObjectMeta {
	out := metav1.ObjectMeta{Name: in.Name, Namespace: in.Namespace, Labels: in.Labels}
	for k, v := range in.Annotations {
		keep := true
		for _, d := range droppedAnnotations {
			if k == d {
				keep = false
			}
		}
		if keep {
			if out.Annotations == nil {
				out.Annotations = map[string]string{}
			}
			out.Annotations[k] = v
		}
	}
	return out
}

// runExport prints the named objects of kind k (or all with --all) in name
// order; clean turns a live object into its export.
func (g *globals) runExport(ctx context.Context, k suspendable, ef *exportFlags, args []string, clean func(client.Object) any) error {
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
		if names, err = k.list(ctx, c, g.namespace); err != nil {
			return err
		}
		sort.Strings(names)
		if len(names) == 0 {
			g.printf("✗ no %s objects found in %s namespace", k.noun, g.namespace)
			return nil
		}
	}
	for _, name := range names {
		key := types.NamespacedName{Namespace: g.namespace, Name: name}
		t := k.target(key)
		if err := c.Get(ctx, key, t.object); err != nil {
			if apierrors.IsNotFound(err) {
				return fmt.Errorf("%s '%s' not found", t.kind, key)
			}
			return fmt.Errorf("getting %s '%s': %w", t.kind, key, err)
		}
		if err := printYAML(g, clean(t.object)); err != nil {
			return err
		}
	}
	return nil
}
