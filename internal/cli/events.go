package cli

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/duration"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// eventsFlags are the flags of `events`.
type eventsFlags struct {
	allNamespaces bool
	forObject     string
	types         []string
}

func newEventsCommand(g *globals) *cobra.Command {
	f := &eventsFlags{}
	cmd := &cobra.Command{
		Use:   "events",
		Short: "Print the Kubernetes events of Flux objects",
		Long: `Print the Kubernetes events of the Flux objects (GitRepositories,
Kustomizations, ...) in the namespace, oldest first, with the columns of
'flux events': LAST SEEN, TYPE, REASON, OBJECT, MESSAGE. --for narrows them
to one object, of any kind.`,
		Example: `  # Events of every Flux object in flux-system
  ferry events

  # Events of one Kustomization
  ferry events --for Kustomization/apps

  # Warnings in every namespace
  ferry events -A --types Warning`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var kind, name string
			if f.forObject != "" {
				var ok bool
				kind, name, ok = strings.Cut(f.forObject, "/")
				if !ok || kind == "" || name == "" || strings.Contains(name, "/") {
					return fmt.Errorf("--for %q must be '<kind>/<name>', e.g. Kustomization/apps", f.forObject)
				}
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			var opts []client.ListOption
			if !f.allNamespaces {
				opts = append(opts, client.InNamespace(g.namespace))
			}
			var list corev1.EventList
			if err := c.List(cmd.Context(), &list, opts...); err != nil {
				return fmt.Errorf("listing events: %w", err)
			}
			var events []corev1.Event
			for _, e := range list.Items {
				o := e.InvolvedObject
				switch {
				case kind != "":
					if !strings.EqualFold(o.Kind, kind) || o.Name != name {
						continue
					}
				case !isFluxAPIVersion(o.APIVersion):
					continue
				}
				if len(f.types) > 0 && !containsFold(f.types, e.Type) {
					continue
				}
				events = append(events, e)
			}
			if len(events) == 0 {
				if f.allNamespaces {
					g.printf("no events found in any namespace")
				} else {
					g.printf("no events found in %s namespace", g.namespace)
				}
				return nil
			}
			return printEvents(g.out, events, f.allNamespaces, time.Now())
		},
	}
	fl := cmd.Flags()
	fl.BoolVarP(&f.allNamespaces, "all-namespaces", "A", false, "list events across all namespaces")
	fl.StringVar(&f.forObject, "for", "", "only the events of this object, '<kind>/<name>'")
	fl.StringSliceVar(&f.types, "types", nil, "only events of these types (Normal, Warning); comma separated or repeated")
	return cmd
}

// isFluxAPIVersion reports whether apiVersion is of a Flux API group.
func isFluxAPIVersion(apiVersion string) bool {
	group, _, _ := strings.Cut(apiVersion, "/")
	return strings.HasSuffix(group, ".toolkit.fluxcd.io")
}

func containsFold(list []string, s string) bool {
	for _, l := range list {
		if strings.EqualFold(l, s) {
			return true
		}
	}
	return false
}

// lastSeen is when an event was last observed.
func lastSeen(e *corev1.Event) time.Time {
	switch {
	case e.Series != nil && !e.Series.LastObservedTime.IsZero():
		return e.Series.LastObservedTime.Time
	case !e.LastTimestamp.IsZero():
		return e.LastTimestamp.Time
	case !e.EventTime.IsZero():
		return e.EventTime.Time
	default:
		return e.CreationTimestamp.Time
	}
}

// printEvents writes events oldest first as an aligned table; LAST SEEN is
// the age relative to now.
func printEvents(w io.Writer, events []corev1.Event, allNamespaces bool, now time.Time) error {
	sort.SliceStable(events, func(i, j int) bool { return lastSeen(&events[i]).Before(lastSeen(&events[j])) })
	tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
	header := "LAST SEEN\tTYPE\tREASON\tOBJECT\tMESSAGE"
	if allNamespaces {
		header = "NAMESPACE\t" + header
	}
	fmt.Fprintln(tw, header)
	for i := range events {
		e := &events[i]
		age := "<unknown>"
		if t := lastSeen(e); !t.IsZero() {
			age = duration.HumanDuration(now.Sub(t))
		}
		row := fmt.Sprintf("%s\t%s\t%s\t%s/%s\t%s", age, e.Type, e.Reason, e.InvolvedObject.Kind, e.InvolvedObject.Name, oneLine(e.Message))
		if allNamespaces {
			row = e.Namespace + "\t" + row
		}
		fmt.Fprintln(tw, row)
	}
	return tw.Flush()
}
