package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/duration"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	notificationv1beta3 "github.com/ferrycd/ferry/api/notification/v1beta3"
	"github.com/ferrycd/ferry/internal/scheme"
)

// eventsFlags are the flags of `events`.
type eventsFlags struct {
	allNamespaces bool
	forObject     string
	types         []string
	watch         bool
}

// eventFilter selects the events to print.
type eventFilter struct {
	kind string
	// objects are the namespace/kind/name of the objects whose events are
	// printed; empty means every object of kind, or every Flux object.
	objects map[string]bool
	types   []string
}

func (f *eventFilter) matches(e *corev1.Event) bool {
	o := e.InvolvedObject
	switch {
	case len(f.objects) > 0:
		if !f.objects[objectKey(o.Namespace, o.Kind, o.Name)] {
			return false
		}
	case f.kind != "":
		if !strings.EqualFold(o.Kind, f.kind) {
			return false
		}
	case !isFluxAPIVersion(o.APIVersion):
		return false
	}
	return len(f.types) == 0 || containsFold(f.types, e.Type)
}

func objectKey(namespace, kind, name string) string {
	return namespace + "/" + strings.ToLower(kind) + "/" + name
}

// runEvents prints the events f selects, and with --watch the new ones.
func (g *globals) runEvents(ctx context.Context, f *eventsFlags) error {
	filter := &eventFilter{}
	for _, t := range f.types {
		if !strings.EqualFold(t, corev1.EventTypeNormal) && !strings.EqualFold(t, corev1.EventTypeWarning) {
			return fmt.Errorf("--types %q: the types are Normal and Warning", t)
		}
		filter.types = append(filter.types, t)
	}
	namespaces := []string{g.namespace}
	if f.allNamespaces {
		namespaces = []string{""}
	}
	cfg, err := g.restConfig()
	if err != nil {
		return err
	}
	c, err := client.NewWithWatch(cfg, client.Options{Scheme: scheme.New()})
	if err != nil {
		return fmt.Errorf("connecting to the cluster: %w", err)
	}
	if f.forObject != "" {
		kind, name, hasName := strings.Cut(f.forObject, "/")
		if kind == "" || (hasName && (name == "" || strings.Contains(name, "/"))) {
			return fmt.Errorf("--for %q must be '<kind>/<name>' or '<kind>', e.g. Kustomization/apps", f.forObject)
		}
		filter.kind = kind
		if hasName {
			if f.allNamespaces {
				return errors.New("--for with a name looks in one namespace: give -n instead of -A")
			}
			filter.objects = map[string]bool{objectKey(g.namespace, kind, name): true}
			if strings.EqualFold(kind, kustomizev1.KustomizationKind) {
				// As flux events: the events of the source come too.
				ks := &kustomizev1.Kustomization{}
				if err := c.Get(ctx, types.NamespacedName{Namespace: g.namespace, Name: name}, ks); err == nil {
					ref := ks.Spec.SourceRef
					ns := ref.Namespace
					if ns == "" {
						ns = g.namespace
					}
					filter.objects[objectKey(ns, ref.Kind, ref.Name)] = true
					if ns != g.namespace {
						namespaces = append(namespaces, ns)
					}
				}
			}
		}
	}

	var events []corev1.Event
	resourceVersions := map[string]string{}
	for _, ns := range namespaces {
		var list corev1.EventList
		if err := c.List(ctx, &list, client.InNamespace(ns)); err != nil {
			return fmt.Errorf("listing events: %w", err)
		}
		resourceVersions[ns] = list.ResourceVersion
		for i := range list.Items {
			if filter.matches(&list.Items[i]) {
				events = append(events, list.Items[i])
			}
		}
	}
	var dels *deliveries
	if filter.kind == "" || strings.EqualFold(filter.kind, notificationv1beta3.ProviderKind) {
		list, d, err := listDeliveries(ctx, c, namespaces)
		if err != nil {
			return err
		}
		for i := range list {
			if filter.matches(&list[i]) {
				events = append(events, list[i])
			}
		}
		dels = d
	}
	if len(events) == 0 && !f.watch {
		if f.allNamespaces {
			g.printf("no events found in any namespace")
		} else {
			g.printf("no events found in %s namespace", g.namespace)
		}
		return nil
	}
	if err := printEvents(g.out, events, f.allNamespaces, time.Now()); err != nil {
		return err
	}
	if !f.watch {
		return nil
	}
	return watchEvents(ctx, c, namespaces, resourceVersions, dels, filter, g.out, f.allNamespaces)
}

// watchEvents prints the events filter selects as they are added or
// updated, and the new deliveries of the Providers (when dels is not nil),
// one line each, until ctx ends.
func watchEvents(ctx context.Context, c client.WithWatch, namespaces []string, resourceVersions map[string]string,
	dels *deliveries, filter *eventFilter, w io.Writer, allNamespaces bool) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	out := make(chan corev1.Event)
	errs := make(chan error, 2*len(namespaces))
	if dels != nil {
		watches, err := dels.watch(ctx, c, namespaces, filter, out, errs)
		if err != nil {
			return err
		}
		for _, wi := range watches {
			defer wi.Stop()
		}
	}
	for _, ns := range namespaces {
		wi, err := c.Watch(ctx, &corev1.EventList{}, client.InNamespace(ns), &client.ListOptions{Raw: &metav1.ListOptions{ResourceVersion: resourceVersions[ns]}})
		if err != nil {
			return fmt.Errorf("watching events: %w", err)
		}
		defer wi.Stop()
		go func() {
			for ev := range wi.ResultChan() {
				if e, ok := ev.Object.(*corev1.Event); ok && (ev.Type == watch.Added || ev.Type == watch.Modified) && filter.matches(e) {
					select {
					case out <- *e:
					case <-ctx.Done():
						return
					}
				}
			}
			errs <- errors.New("the event watch was closed by the API server")
		}()
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-errs:
			return err
		case e := <-out:
			if err := printEventRows(w, []corev1.Event{e}, allNamespaces, time.Now(), false); err != nil {
				return err
			}
		}
	}
}

func newEventsCommand(g *globals) *cobra.Command {
	f := &eventsFlags{}
	cmd := &cobra.Command{
		Use:   "events",
		Short: "Print the Kubernetes events of Flux objects and the notifications sent",
		Long: `Print the Kubernetes events of the Flux objects (GitRepositories,
Kustomizations, ...) in the namespace, oldest first, with the columns of
'flux events': LAST SEEN, TYPE, REASON, OBJECT, MESSAGE. --for narrows them
to one object of any kind (a Kustomization's come with its source's), or to
every object of a kind. --watch keeps printing new events.

The notifications the Providers sent (their status.deliveries, a ferry
addition) are rows of the Provider among the events: NotificationDelivered
(Normal), NotificationFailed or NotificationDropped (Warning), the message
naming the Alert, the event's object, reason and revision, the attempts and
the error.`,
		Example: `  # Events of every Flux object in flux-system
  ferry events

  # Events of one Kustomization and of its source
  ferry events --for Kustomization/apps

  # Events of every Kustomization, as they come
  ferry events --for Kustomization --watch

  # Warnings in every namespace
  ferry events -A --types Warning

  # The notifications the Provider slack sent, and its events
  ferry events --for Provider/slack`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.runEvents(cmd.Context(), f)
		},
	}
	fl := cmd.Flags()
	fl.BoolVarP(&f.allNamespaces, "all-namespaces", "A", false, "list events across all namespaces")
	fl.StringVar(&f.forObject, "for", "", "only the events of this object, '<kind>/<name>' (a Kustomization's include its source's), or of every object of a kind, '<kind>'")
	fl.BoolVarP(&f.watch, "watch", "w", false, "after the events so far, print new ones as they come, until interrupted")
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
	return printEventRows(w, events, allNamespaces, now, true)
}

// printEventRows writes events as table rows, after the header if asked.
func printEventRows(w io.Writer, events []corev1.Event, allNamespaces bool, now time.Time, withHeader bool) error {
	tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
	header := "LAST SEEN\tTYPE\tREASON\tOBJECT\tMESSAGE"
	if allNamespaces {
		header = "NAMESPACE\t" + header
	}
	if withHeader {
		fmt.Fprintln(tw, header)
	}
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
