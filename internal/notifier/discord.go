package notifier

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
)

func init() { register("discord", newDiscord) }

// discord posts the Slack payload to the webhook's Slack-compatible
// endpoint, the webhook URL with "/slack" appended to its path.
type discord struct {
	client   *http.Client
	address  string
	username string
}

func newDiscord(o Options, client *http.Client) (Notifier, error) {
	if err := chatNeedAddress(o); err != nil {
		return nil, err
	}
	u, err := url.Parse(o.Address)
	if err != nil {
		return nil, errors.New("discord: the address is not a valid URL")
	}
	if !strings.HasSuffix(u.Path, "/slack") {
		u.Path = strings.TrimSuffix(u.Path, "/") + "/slack"
		u.RawPath = ""
	}
	return &discord{client: client, address: u.String(), username: o.Username}, nil
}

func (d *discord) Post(ctx context.Context, e Event) error {
	// A Discord webhook posts to its own channel; spec.channel does not
	// apply.
	return postJSON(ctx, d.client, d.address, newSlackPayload(e, "", d.username), nil)
}
