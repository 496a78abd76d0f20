package cli

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ferrycd/ferry/api/meta"
	notificationv1beta3 "github.com/ferrycd/ferry/api/notification/v1beta3"
)

// alertProviderFlags are the flags of `create alert-provider`.
type alertProviderFlags struct {
	providerType string
	channel      string
	username     string
	address      string
	secretRef    string
}

// providerTypes are the values of --type, the Provider types of Flux's API
// (spec.type).
var providerTypes = []string{
	notificationv1beta3.SlackProvider, notificationv1beta3.DiscordProvider, notificationv1beta3.MSTeamsProvider,
	notificationv1beta3.RocketProvider, notificationv1beta3.GenericProvider, notificationv1beta3.GenericHMACProvider,
	notificationv1beta3.GitHubProvider, notificationv1beta3.GitLabProvider, notificationv1beta3.GiteaProvider,
	notificationv1beta3.BitbucketServerProvider, notificationv1beta3.BitbucketProvider, notificationv1beta3.AzureDevOpsProvider,
	notificationv1beta3.GoogleChatProvider, notificationv1beta3.GooglePubSubProvider, notificationv1beta3.WebexProvider,
	notificationv1beta3.SentryProvider, notificationv1beta3.AzureEventHubProvider, notificationv1beta3.TelegramProvider,
	notificationv1beta3.LarkProvider, notificationv1beta3.MatrixProvider, notificationv1beta3.OpsgenieProvider,
	notificationv1beta3.AlertManagerProvider, notificationv1beta3.GrafanaProvider, notificationv1beta3.GitHubDispatchProvider,
	notificationv1beta3.PagerDutyProvider, notificationv1beta3.DataDogProvider, notificationv1beta3.NATSProvider,
}

func newCreateAlertProviderCommand(g *globals, cf *createFlags) *cobra.Command {
	f := &alertProviderFlags{}
	cmd := &cobra.Command{
		Use:   "alert-provider NAME",
		Short: "Create or update a notification Provider and wait until it is ready",
		Long: `Create or update a notification Provider (notification.toolkit.fluxcd.io/v1beta3),
where Alerts send the events they select. The command waits until the
controller has checked the Provider: its type is supported and the Secret of
--secret-ref holds what the type needs. Keep tokens and webhook URLs that
hold a token in that Secret ('token', 'address') rather than in --address.`,
		Example: `  # A Slack channel, the webhook URL in the Secret slack-url (key 'address')
  ferry create alert-provider slack --type=slack --channel=general --secret-ref=slack-url

  # Commit statuses on a GitHub repository, the token in the Secret github-token
  ferry create alert-provider github-podinfo --type=github \
    --address=https://github.com/stefanprodan/podinfo --secret-ref=github-token

  # A generic webhook
  ferry create alert-provider hook --type=generic --address=https://hooks.example.com/flux

  # Print the Provider as YAML instead of applying it
  ferry create alert-provider slack --type=slack --channel=general --secret-ref=slack-url --export`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := f.provider(args[0], g.namespace)
			if err != nil {
				return err
			}
			if cf.export {
				return printYAML(g, p)
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			_, err = g.applyAndWait(cmd.Context(), c, providers, p, func(live fluxObject) {
				l := live.(*notificationv1beta3.Provider)
				l.Spec = p.Spec
				l.Labels = mergeLabels(l.Labels, p.Labels)
			}, cf.timeout)
			return err
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.providerType, "type", "", "type of the Provider, the service notified: one of "+strings.Join(providerTypes, ", "))
	fl.StringVar(&f.channel, "channel", "", "channel (or room, topic) the notifications go to, for a chat service")
	fl.StringVar(&f.username, "username", "", "name the notifications are posted under, for a chat service")
	fl.StringVar(&f.address, "address", "", "where notifications are sent: a webhook or API URL, or the repository URL of a commit status type")
	fl.StringVar(&f.secretRef, "secret-ref", "", "name of the Secret with the Provider's credentials ('token', 'address', 'username', 'password', 'headers')")
	return cmd
}

// provider builds the Provider the flags describe, as `flux create
// alert-provider` does. The address is never repeated in a message: a
// webhook URL may hold a token.
func (f *alertProviderFlags) provider(name, namespace string) (*notificationv1beta3.Provider, error) {
	switch {
	case f.providerType == "":
		return nil, errors.New("--type is required: one of " + strings.Join(providerTypes, ", "))
	case !slices.Contains(providerTypes, f.providerType):
		return nil, fmt.Errorf("--type %q is not one of %s", f.providerType, strings.Join(providerTypes, ", "))
	case len(f.address) > 2048:
		return nil, errors.New("--address is longer than 2048 characters")
	}
	p := &notificationv1beta3.Provider{
		TypeMeta:   metav1.TypeMeta{APIVersion: notificationv1beta3.GroupVersion.String(), Kind: notificationv1beta3.ProviderKind},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace},
		Spec: notificationv1beta3.ProviderSpec{
			Type:     f.providerType,
			Channel:  f.channel,
			Username: f.username,
			Address:  f.address,
		},
	}
	if f.secretRef != "" {
		p.Spec.SecretRef = &meta.LocalObjectReference{Name: f.secretRef}
	}
	return p, nil
}
