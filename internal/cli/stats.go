package cli

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/dustin/go-humanize"
	"github.com/spf13/cobra"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/ferrycd/ferry/api/meta"
)

func newStatsCommand(g *globals) *cobra.Command {
	var allNamespaces bool
	cmd := &cobra.Command{
		Use:   "stats",
		Short: "Count the reconcilers of each kind: running, failing, suspended, and the artifact storage they use",
		Long: `Stats counts the objects of each kind of Flux's API in the namespace (every
namespace with -A), as flux stats does: RUNNING are not suspended and not
failing, FAILING have Ready=False, SUSPENDED have spec.suspend; STORAGE is
the size of the artifacts the sources hold (status.artifact.size).`,
		Example: `  # The whole cluster at a glance
  ferry stats -A`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			gf := &getFlags{allNamespaces: allNamespaces}
			var all []kindStats
			for _, k := range kinds {
				objs, err := g.getObjects(cmd.Context(), c, k, gf, func(fluxObject) bool { return true })
				if err != nil {
					return err
				}
				all = append(all, countStats(k.gvk.Kind, objs))
			}
			return printStats(g.out, all)
		},
	}
	cmd.Flags().BoolVarP(&allNamespaces, "all-namespaces", "A", false, "count objects across all namespaces")
	return cmd
}

// kindStats are the counts of one kind.
type kindStats struct {
	kind                        string
	running, failing, suspended int
	// storage is the artifacts' total size; hasStorage whether the kind
	// holds artifacts at all.
	storage    int64
	hasStorage bool
}

// countStats counts objs of kind.
func countStats(kind string, objs []fluxObject) kindStats {
	s := kindStats{kind: kind}
	for _, obj := range objs {
		switch {
		case obj.IsSuspended():
			s.suspended++
		case isFailing(obj.GetConditions()):
			s.failing++
		default:
			s.running++
		}
		if size, ok := artifactSize(obj); ok {
			s.storage += size
			s.hasStorage = true
		}
	}
	return s
}

// isFailing reports whether Ready is False.
func isFailing(conds []metav1.Condition) bool {
	c := apimeta.FindStatusCondition(conds, meta.ReadyCondition)
	return c != nil && c.Status == metav1.ConditionFalse
}

// artifactSize returns the size of the object's status.artifact, and
// whether it has one.
func artifactSize(obj fluxObject) (int64, bool) {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return 0, false
	}
	if _, found, _ := unstructured.NestedMap(m, "status", "artifact"); !found {
		return 0, false
	}
	size, _, _ := unstructured.NestedInt64(m, "status", "artifact", "size")
	return size, true
}

// printStats writes the counts as flux stats does, a row per kind; STORAGE
// is "-" for a kind with no artifacts.
func printStats(w io.Writer, all []kindStats) error {
	tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
	fmt.Fprintln(tw, strings.Join([]string{"RECONCILERS", "RUNNING", "FAILING", "SUSPENDED", "STORAGE"}, "\t"))
	for _, s := range all {
		storage := "-"
		if s.hasStorage {
			storage = humanize.IBytes(uint64(s.storage))
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\n", s.kind, s.running, s.failing, s.suspended, storage)
	}
	return tw.Flush()
}
