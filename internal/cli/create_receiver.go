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
)

// receiverFlags are the flags of `create receiver`.
type receiverFlags struct {
	receiverType string
	events       []string
	resources    []string
	secretRef    string
}

// receiverTypes are the values of --type (spec.type).
var receiverTypes = []string{
	notificationv1.GenericReceiver, notificationv1.GenericHMACReceiver, notificationv1.GitHubReceiver,
	notificationv1.GitLabReceiver, notificationv1.BitbucketReceiver, notificationv1.HarborReceiver,
	notificationv1.DockerHubReceiver, notificationv1.QuayReceiver, notificationv1.GCRReceiver,
	notificationv1.NexusReceiver, notificationv1.ACRReceiver, notificationv1.CDEventsReceiver,
}

func newCreateReceiverCommand(g *globals, cf *createFlags) *cobra.Command {
	f := &receiverFlags{}
	cmd := &cobra.Command{
		Use:   "receiver NAME",
		Short: "Create or update a webhook Receiver, wait until it is ready and print its webhook path",
		Long: `Create or update a Receiver (notification.toolkit.fluxcd.io/v1): a webhook that,
called with a valid request, reconciles the objects of --resource at once.
The Secret of --secret-ref holds the 'token' that authenticates requests and
goes into the path; the command waits until the controller serves the
webhook and prints that path (status.webhookPath). A resource is
'<kind>/<name>', with '.<namespace>' for another namespace than the
Receiver's; the name '*' takes every object of the kind.`,
		Example: `  # A GitHub push webhook that fetches the GitRepository webapp
  ferry create receiver github --type=github --event=ping --event=push \
    --secret-ref=webhook-token --resource=GitRepository/webapp

  # A generic webhook, for a script or a Git hook, that fetches two sources
  ferry create receiver hook --type=generic --secret-ref=webhook-token \
    --resource=GitRepository/flux-system --resource=HelmRepository/podinfo

  # Print the Receiver as YAML instead of applying it
  ferry create receiver github --type=github --event=push --secret-ref=webhook-token \
    --resource=GitRepository/webapp --export`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := f.receiver(args[0], g.namespace)
			if err != nil {
				return err
			}
			if cf.export {
				return printYAML(g, r)
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			t, err := g.applyAndWait(cmd.Context(), c, receivers, r, func(live fluxObject) {
				l := live.(*notificationv1.Receiver)
				l.Spec = r.Spec
				l.Labels = mergeLabels(l.Labels, r.Labels)
			}, cf.timeout)
			if err != nil {
				return err
			}
			// As flux create receiver prints it; the path holds no secret,
			// only a hash of the token.
			g.printf("✔ generated webhook URL %s", t.object.(*notificationv1.Receiver).Status.WebhookPath)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.receiverType, "type", "", "type of the webhook's sender, which decides how requests are authenticated: one of "+strings.Join(receiverTypes, ", "))
	fl.StringSliceVar(&f.events, "event", nil, "event types that trigger a reconciliation, e.g. 'push' for github (default: every event); comma separated or repeated")
	fl.StringSliceVar(&f.resources, "resource", nil, "objects a valid request reconciles, '<kind>/<name>[.<namespace>]', the name '*' for all; comma separated or repeated")
	fl.StringVar(&f.secretRef, "secret-ref", "", "name of the Secret whose 'token' key authenticates the requests")
	return cmd
}

// receiver builds the Receiver the flags describe, as `flux create
// receiver` does.
func (f *receiverFlags) receiver(name, namespace string) (*notificationv1.Receiver, error) {
	switch {
	case f.receiverType == "":
		return nil, errors.New("--type is required: one of " + strings.Join(receiverTypes, ", "))
	case !slices.Contains(receiverTypes, f.receiverType):
		return nil, fmt.Errorf("--type %q is not one of %s", f.receiverType, strings.Join(receiverTypes, ", "))
	case f.secretRef == "":
		return nil, errors.New("--secret-ref is required: the Secret whose 'token' key authenticates the requests")
	case len(f.resources) == 0:
		return nil, errors.New("--resource is required: at least one '<kind>/<name>[.<namespace>]', e.g. GitRepository/flux-system")
	}
	r := &notificationv1.Receiver{
		TypeMeta:   metav1.TypeMeta{APIVersion: notificationv1.GroupVersion.String(), Kind: notificationv1.ReceiverKind},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace},
		Spec: notificationv1.ReceiverSpec{
			Type:      f.receiverType,
			Events:    f.events,
			SecretRef: meta.LocalObjectReference{Name: f.secretRef},
		},
	}
	for _, s := range f.resources {
		ref, err := parseNotificationRef(s)
		if err != nil {
			return nil, fmt.Errorf("--resource %w", err)
		}
		r.Spec.Resources = append(r.Spec.Resources, ref)
	}
	return r, nil
}
