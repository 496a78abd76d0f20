package notifier

import (
	"context"
	"net/http"
)

func init() { register("rocket", newRocket) }

// rocket posts the Slack payload to a Rocket.Chat incoming webhook, which
// reads the same fields (channel, username, attachments with color,
// author_name, text and fields).
type rocket struct {
	client            *http.Client
	address           string
	channel, username string
}

func newRocket(o Options, client *http.Client) (Notifier, error) {
	if err := chatNeedAddress(o); err != nil {
		return nil, err
	}
	return &rocket{client: client, address: o.Address, channel: o.Channel, username: o.Username}, nil
}

func (r *rocket) Post(ctx context.Context, e Event) error {
	return postJSON(ctx, r.client, r.address, newSlackPayload(e, r.channel, r.username), nil)
}
