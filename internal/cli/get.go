package cli

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferrycd/ferry/api/meta"
)

// getFlags are the flags of every `get` command.
type getFlags struct {
	allNamespaces  bool
	noHeader       bool
	statusSelector string
	output         string
}

func newGetCommand(g *globals) *cobra.Command {
	gf := &getFlags{}
	cmd := &cobra.Command{
		Use:   "get",
		Short: "Get the status of sources, Kustomizations, HelmReleases, Alerts, Providers, Receivers and image automation",
	}
	cmd.PersistentFlags().BoolVarP(&gf.allNamespaces, "all-namespaces", "A", false, "list objects across all namespaces")
	cmd.PersistentFlags().BoolVar(&gf.noHeader, "no-header", false, "skip the header row")
	cmd.PersistentFlags().StringVar(&gf.statusSelector, "status-selector", "", "list only objects whose condition has this status, '<type>=<status>', e.g. ready=false")
	cmd.PersistentFlags().StringVarP(&gf.output, "output", "o", "table", "output format: table, json or yaml (a v1 List, or the object when a name is given)")
	addKindCommands(cmd, kindVerb{
		groupShort: "Get the status of",
		plural:     true,
		args:       "[name]",
		nargs:      cobra.MaximumNArgs(1),
		help:       func(h kindHelp) help { return h.get },
		run: func(cmd *cobra.Command, k *kind, args []string) error {
			return g.runGet(cmd.Context(), k, gf, args)
		},
	})
	all := map[string]*cobra.Command{
		sources.plural: {
			Short: "Get the status of every source: GitRepositories, HelmRepositories, HelmCharts, OCIRepositories and Buckets",
			Example: `  # Every source of flux-system, one table per kind
  ferry get sources all

  # Every failing source in every namespace
  ferry get sources all -A --status-selector ready=false`,
			RunE: func(cmd *cobra.Command, _ []string) error { return g.runGetAll(cmd.Context(), sources, gf) },
		},
		images.plural: {
			Short: "Get the status of every ImageRepository, ImagePolicy and ImageUpdateAutomation",
			Example: `  # The image automation of flux-system, one table per kind
  ferry get images all -A`,
			RunE: func(cmd *cobra.Command, _ []string) error { return g.runGetAll(cmd.Context(), images, gf) },
		},
	}
	for _, sub := range cmd.Commands() {
		if c, ok := all[sub.Name()]; ok {
			c.Use, c.Args = "all", cobra.NoArgs
			sub.AddCommand(c)
		}
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "all",
		Short: "Get the status of every object of Flux's API: sources, Kustomizations, HelmReleases, notifications and image automation",
		Example: `  # Everything in flux-system, one table per kind
  ferry get all

  # Everything that is not Ready, in every namespace
  ferry get all -A --status-selector ready=false

  # Every object with its status, as JSON
  ferry get all -A -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return g.runGetAll(cmd.Context(), nil, gf) },
	})
	return cmd
}

// runGetAll prints one table per kind that has objects, of group gr or,
// for nil, of every kind, as `flux get sources all` and `flux get all` do:
// NAME is "<kind>/<name>", a blank line between tables.
func (g *globals) runGetAll(ctx context.Context, gr *group, gf *getFlags) error {
	c, matches, err := g.getClient(gf)
	if err != nil {
		return err
	}
	keep := func(obj fluxObject) bool { return matches(obj.GetConditions()) }
	var listed []listedObject
	printed := false
	for _, k := range kinds {
		if gr != nil && k.group != gr {
			continue
		}
		objs, err := g.getObjects(ctx, c, k, gf, keep)
		if err != nil {
			return err
		}
		if len(objs) == 0 {
			continue
		}
		if gf.output != outputTable {
			for _, obj := range objs {
				listed = append(listed, listedObject{k, obj})
			}
			continue
		}
		rows := make([]statusRow, len(objs))
		for i, obj := range objs {
			rows[i] = rowFor(k, obj)
			rows[i].Name = strings.ToLower(k.gvk.Kind) + "/" + rows[i].Name
		}
		if printed {
			fmt.Fprintln(g.out)
		}
		if err := printStatusTable(g.out, rows, k.columns, gf.allNamespaces, gf.noHeader); err != nil {
			return err
		}
		printed = true
	}
	if gf.output != outputTable {
		return printObjects(g.out, gf.output, listed, false)
	}
	if !printed {
		name := "Flux"
		if gr != nil {
			name = gr.name
		}
		g.noneFound(name, gf)
	}
	return nil
}

// statusRow is one object in a `get` table.
type statusRow struct {
	Namespace string
	Name      string
	Revision  string
	Suspended bool
	Ready     string
	Message   string
}

// runGet prints the table of the kind's objects: the named one, or all
// in the namespace (every namespace with -A).
func (g *globals) runGet(ctx context.Context, k *kind, gf *getFlags, args []string) error {
	c, matches, err := g.getClient(gf)
	if err != nil {
		return err
	}
	objs, err := g.getObjects(ctx, c, k, gf, func(obj fluxObject) bool {
		return (len(args) == 0 || obj.GetName() == args[0]) && matches(obj.GetConditions())
	})
	if err != nil {
		return err
	}
	if len(objs) == 0 {
		if len(args) == 1 && gf.statusSelector == "" {
			return fmt.Errorf("%s %q not found in %s namespace", k.gvk.Kind, args[0], g.namespace)
		}
		if gf.output != outputTable {
			return printObjects(g.out, gf.output, nil, false)
		}
		g.noneFound(k.gvk.Kind, gf)
		return nil
	}
	if gf.output != outputTable {
		listed := make([]listedObject, len(objs))
		for i, obj := range objs {
			listed[i] = listedObject{k, obj}
		}
		return printObjects(g.out, gf.output, listed, len(args) == 1 && len(objs) == 1)
	}
	rows := make([]statusRow, len(objs))
	for i, obj := range objs {
		rows[i] = rowFor(k, obj)
	}
	return printStatusTable(g.out, rows, k.columns, gf.allNamespaces, gf.noHeader)
}

// getClient returns the client and the --status-selector filter of a get.
func (g *globals) getClient(gf *getFlags) (client.Client, func([]metav1.Condition) bool, error) {
	if !slices.Contains(outputFormats, gf.output) {
		return nil, nil, fmt.Errorf("--output %q: want one of %s", gf.output, strings.Join(outputFormats, ", "))
	}
	matches, err := gf.statusFilter()
	if err != nil {
		return nil, nil, err
	}
	c, err := g.client()
	if err != nil {
		return nil, nil, err
	}
	return c, matches, nil
}

// getObjects lists k's objects in the namespace (every namespace with -A)
// and returns those keep passes.
func (g *globals) getObjects(ctx context.Context, c client.Client, k *kind, gf *getFlags, keep func(fluxObject) bool) ([]fluxObject, error) {
	objs, err := k.list(ctx, c, gf.listOptions(g)...)
	if err != nil {
		return nil, err
	}
	kept := objs[:0]
	for _, obj := range objs {
		if keep(obj) {
			kept = append(kept, obj)
		}
	}
	return kept, nil
}

// rowFor builds a table row from an object's conditions, the way Flux's CLI
// does: READY is the Ready condition's status, MESSAGE its message.
func rowFor(k *kind, obj fluxObject) statusRow {
	row := statusRow{
		Namespace: obj.GetNamespace(),
		Name:      obj.GetName(),
		Revision:  k.revisionOf(obj),
		Suspended: obj.IsSuspended(),
		Ready:     string(metav1.ConditionUnknown),
		Message:   "waiting to be reconciled",
	}
	if c := apimeta.FindStatusCondition(obj.GetConditions(), meta.ReadyCondition); c != nil {
		row.Ready = string(c.Status)
		row.Message = c.Message
	}
	return row
}

// The columns of `get` a kind chooses from (kind.columns), after NAME.
const (
	colRevision  = "REVISION"
	colSuspended = "SUSPENDED"
	colReady     = "READY"
	colMessage   = "MESSAGE"
)

// defaultColumns are the columns of most kinds, as `flux get` shows them.
var defaultColumns = []string{colRevision, colSuspended, colReady, colMessage}

// revisionColumns are the columns that show a row's Revision: REVISION,
// or the column of an image kind, whose revision is something else (the
// time of the last scan, the image chosen; kinds_image.go).
var revisionColumns = []string{colRevision, colLastScan, colLatestImage, colLastRun}

// cell is the row's value in column col.
func (r statusRow) cell(col string) string {
	if slices.Contains(revisionColumns, col) {
		return r.Revision
	}
	switch col {
	case colSuspended:
		return boolString(r.Suspended)
	case colReady:
		return r.Ready
	default:
		return oneLine(r.Message)
	}
}

// printStatusTable writes rows as an aligned table with Flux's columns:
// NAME, then columns (nil for defaultColumns).
func printStatusTable(w io.Writer, rows []statusRow, columns []string, allNamespaces, noHeader bool) error {
	if columns == nil {
		columns = defaultColumns
	}
	sort.SliceStable(rows, func(i, j int) bool {
		if rows[i].Namespace != rows[j].Namespace {
			return rows[i].Namespace < rows[j].Namespace
		}
		return rows[i].Name < rows[j].Name
	})
	tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
	header := append([]string{"NAME"}, columns...)
	if allNamespaces {
		header = append([]string{"NAMESPACE"}, header...)
	}
	if !noHeader {
		fmt.Fprintln(tw, strings.Join(header, "\t"))
	}
	for _, r := range rows {
		cells := []string{r.Name}
		for _, col := range columns {
			cells = append(cells, r.cell(col))
		}
		if allNamespaces {
			cells = append([]string{r.Namespace}, cells...)
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	return tw.Flush()
}

// statusFilter returns whether an object with these conditions is listed
// under --status-selector: its condition of that type (compared without
// case) has that status. Without the flag every object is listed.
func (gf *getFlags) statusFilter() (func([]metav1.Condition) bool, error) {
	if gf.statusSelector == "" {
		return func([]metav1.Condition) bool { return true }, nil
	}
	condType, status, ok := strings.Cut(gf.statusSelector, "=")
	condType, status = strings.TrimSpace(condType), strings.TrimSpace(status)
	if !ok || condType == "" || status == "" || strings.Contains(status, "=") {
		return nil, fmt.Errorf("--status-selector %q must be '<type>=<status>', e.g. ready=false", gf.statusSelector)
	}
	return func(conds []metav1.Condition) bool {
		for _, c := range conds {
			if strings.EqualFold(c.Type, condType) {
				return strings.EqualFold(string(c.Status), status)
			}
		}
		return false
	}, nil
}

// listOptions scopes a list to the namespace flag unless -A was given.
func (gf *getFlags) listOptions(g *globals) []client.ListOption {
	if gf.allNamespaces {
		return nil
	}
	return []client.ListOption{client.InNamespace(g.namespace)}
}

// noneFound is what `get` prints to stderr when the list is empty.
func (g *globals) noneFound(kind string, gf *getFlags) {
	if gf.allNamespaces {
		g.printf("no %s objects found in any namespace", kind)
		return
	}
	g.printf("no %s objects found in %s namespace", kind, g.namespace)
}

func boolString(b bool) string {
	if b {
		return "True"
	}
	return "False"
}

// oneLine keeps a multi-line condition message on one table row.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
