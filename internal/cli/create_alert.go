package cli

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ferrycd/ferry/api/meta"
	notificationv1 "github.com/ferrycd/ferry/api/notification/v1"
	notificationv1beta3 "github.com/ferrycd/ferry/api/notification/v1beta3"
)

// alertFlags are the flags of `create alert`.
type alertFlags struct {
	providerRef   string
	eventSeverity string
	eventSources  []string
}

// eventSeverities are the values of --event-severity.
var eventSeverities = []string{notificationv1beta3.EventSeverityInfo, notificationv1beta3.EventSeverityError}

func newCreateAlertCommand(g *globals, cf *createFlags) *cobra.Command {
	f := &alertFlags{}
	cmd := &cobra.Command{
		Use:   "alert NAME",
		Short: "Create or update an Alert and wait until it is ready",
		Long: `Create or update an Alert (notification.toolkit.fluxcd.io/v1beta3): the events
of the objects of --event-source, of --event-severity or above, are sent to
the Provider of --provider-ref. An event source is '<kind>/<name>', with
'.<namespace>' for another namespace than the Alert's; the name '*' takes
every object of the kind, and the namespace '*' every namespace.`,
		Example: `  # Send the events of the Kustomization flux-system to the Provider slack
  ferry create alert flux-system --provider-ref=slack --event-source=Kustomization/flux-system

  # Only errors, of every Kustomization and HelmRelease in the namespace apps
  ferry create alert apps --provider-ref=on-call --event-severity=error \
    --event-source='Kustomization/*.apps' --event-source='HelmRelease/*.apps'

  # Print the Alert as YAML instead of applying it
  ferry create alert flux-system --provider-ref=slack --event-source=Kustomization/flux-system --export`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := f.alert(args[0], g.namespace)
			if err != nil {
				return err
			}
			if cf.export {
				return printYAML(g, a)
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			_, err = g.applyAndWait(cmd.Context(), c, alerts, a, func(live fluxObject) {
				l := live.(*notificationv1beta3.Alert)
				l.Spec = a.Spec
				l.Labels = mergeLabels(l.Labels, a.Labels)
			}, cf.timeout)
			return err
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.providerRef, "provider-ref", "", "name of the Provider, in the Alert's namespace, the events are sent to")
	fl.StringVar(&f.eventSeverity, "event-severity", "", "lowest severity of the events sent: info (every event) or error (default info)")
	fl.StringSliceVar(&f.eventSources, "event-source", nil, "objects whose events are sent, '<kind>/<name>[.<namespace>]', the name or namespace '*' for all; comma separated or repeated")
	return cmd
}

// alert builds the Alert the flags describe, as `flux create alert` does.
func (f *alertFlags) alert(name, namespace string) (*notificationv1beta3.Alert, error) {
	if f.providerRef == "" {
		return nil, errors.New("--provider-ref is required")
	}
	if f.eventSeverity != "" && !slices.Contains(eventSeverities, f.eventSeverity) {
		return nil, fmt.Errorf("--event-severity %q is not one of %s", f.eventSeverity, strings.Join(eventSeverities, ", "))
	}
	if len(f.eventSources) == 0 {
		return nil, errors.New("--event-source is required: at least one '<kind>/<name>[.<namespace>]', e.g. Kustomization/flux-system")
	}
	a := &notificationv1beta3.Alert{
		TypeMeta:   metav1.TypeMeta{APIVersion: notificationv1beta3.GroupVersion.String(), Kind: notificationv1beta3.AlertKind},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace},
		Spec: notificationv1beta3.AlertSpec{
			ProviderRef:   meta.LocalObjectReference{Name: f.providerRef},
			EventSeverity: f.eventSeverity,
		},
	}
	for _, s := range f.eventSources {
		ref, err := parseNotificationRef(s)
		if err != nil {
			return nil, fmt.Errorf("--event-source %w", err)
		}
		a.Spec.EventSources = append(a.Spec.EventSources, ref)
	}
	return a, nil
}

// notificationRefKinds are the kinds an Alert takes events from and a
// Receiver reconciles (the Kind of a CrossNamespaceObjectReference).
var notificationRefKinds = []string{
	"Bucket", "GitRepository", "Kustomization", "HelmRelease", "HelmChart", "HelmRepository",
	"ImageRepository", "ImagePolicy", "ImageUpdateAutomation", "OCIRepository", "ArtifactGenerator", "ExternalArtifact",
}

// parseNotificationRef parses '<kind>/<name>[.<namespace>]' as Flux's CLI
// does: the namespace follows the last dot. The kind is matched without
// case; '*' as the name means every object of the kind, and as the
// namespace (with the name '*') every namespace.
func parseNotificationRef(s string) (notificationv1.CrossNamespaceObjectReference, error) {
	var ref notificationv1.CrossNamespaceObjectReference
	kind, rest, ok := strings.Cut(s, "/")
	if !ok || kind == "" || rest == "" || strings.Contains(rest, "/") {
		return ref, fmt.Errorf("%q must be '<kind>/<name>[.<namespace>]', e.g. Kustomization/flux-system", s)
	}
	for _, k := range notificationRefKinds {
		if strings.EqualFold(k, kind) {
			ref.Kind = k
		}
	}
	if ref.Kind == "" {
		return ref, fmt.Errorf("%q: kind %q is not one of %s", s, kind, strings.Join(notificationRefKinds, ", "))
	}
	ref.Name = rest
	if i := strings.LastIndex(rest, "."); i >= 0 {
		ref.Name, ref.Namespace = rest[:i], rest[i+1:]
	}
	switch {
	case ref.Name == "" || (strings.Contains(rest, ".") && ref.Namespace == ""):
		return ref, fmt.Errorf("%q must be '<kind>/<name>[.<namespace>]', e.g. Kustomization/flux-system", s)
	case ref.Namespace == "*" && ref.Name != "*":
		return ref, fmt.Errorf("%q: the namespace '*' (every namespace) needs the name '*'", s)
	}
	return ref, nil
}
