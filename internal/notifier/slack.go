package notifier

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
)

func init() { register("slack", newSlack) }

// slackAPI is Slack's Web API method a Provider with a bot token posts to
// when it names no address.
const slackAPI = "https://slack.com/api/chat.postMessage"

// slackPayload is a Slack message with one attachment: the object as its
// author, the message as its text, the metadata as its fields. Discord's
// Slack-compatible endpoint and Rocket.Chat take the same payload.
type slackPayload struct {
	Channel     string            `json:"channel,omitempty"`
	Username    string            `json:"username,omitempty"`
	Attachments []slackAttachment `json:"attachments"`
}

type slackAttachment struct {
	Color      string       `json:"color"`
	AuthorName string       `json:"author_name"`
	Fallback   string       `json:"fallback"`
	Text       string       `json:"text"`
	MrkdwnIn   []string     `json:"mrkdwn_in"`
	Fields     []slackField `json:"fields,omitempty"`
}

type slackField struct {
	Title string `json:"title"`
	Value string `json:"value"`
	Short bool   `json:"short"`
}

// newSlackPayload builds the message of e for channel and username (either
// may be empty: the webhook's own then apply).
func newSlackPayload(e Event, channel, username string) slackPayload {
	color := "good"
	if isError(e) {
		color = "danger"
	}
	var fields []slackField
	for _, f := range chatFacts(e) {
		fields = append(fields, slackField{Title: f.Key, Value: f.Value})
	}
	return slackPayload{
		Channel:  channel,
		Username: username,
		Attachments: []slackAttachment{{
			Color:      color,
			AuthorName: objectName(e),
			Fallback:   objectName(e) + ": " + e.Message,
			Text:       e.Message,
			MrkdwnIn:   []string{"text"},
			Fields:     fields,
		}},
	}
}

// slack posts to an incoming webhook, or with a bot token to
// chat.postMessage.
type slack struct {
	client   *http.Client
	address  string
	token    string
	channel  string
	username string
}

func newSlack(o Options, client *http.Client) (Notifier, error) {
	address := o.Address
	if address == "" && o.Token != "" {
		address = slackAPI
	}
	if address == "" {
		return nil, errors.New("slack needs an address (an incoming webhook URL, or " + slackAPI + " with a token in the Secret)")
	}
	if o.Token != "" && o.Channel == "" {
		return nil, errors.New("slack with a bot token posts through chat.postMessage, which needs spec.channel")
	}
	return &slack{client: client, address: address, token: o.Token, channel: o.Channel, username: o.Username}, nil
}

func (s *slack) Post(ctx context.Context, e Event) error {
	body, err := json.Marshal(newSlackPayload(e, s.channel, s.username))
	if err != nil {
		return Permanent(fmt.Errorf("encoding the payload: %w", err))
	}
	headers := map[string]string{"Content-Type": "application/json; charset=utf-8"}
	if s.token != "" {
		headers["Authorization"] = "Bearer " + s.token
	}
	answer, err := chatSend(ctx, s.client, s.address, body, headers)
	if err != nil {
		return err
	}
	return slackAnswer(answer)
}

// slackRetryable are the Web API errors that say Slack, not the request,
// failed.
var slackRetryable = []string{"internal_error", "fatal_error", "service_unavailable", "request_timeout", "ratelimited"}

// slackAnswer reads a 2xx answer: an incoming webhook says "ok", the Web
// API says {"ok":true} or {"ok":false,"error":"channel_not_found"}.
func slackAnswer(body []byte) error {
	if !bytes.HasPrefix(bytes.TrimSpace(body), []byte("{")) {
		return nil
	}
	var answer struct {
		OK    bool   `json:"ok"`
		Error string `json:"error"`
	}
	if err := json.Unmarshal(body, &answer); err != nil || answer.OK {
		return nil
	}
	if answer.Error == "" {
		answer.Error = "no reason given"
	}
	err := fmt.Errorf("slack refused the message: %s", answer.Error)
	if slices.Contains(slackRetryable, answer.Error) {
		return err
	}
	return Permanent(err)
}
