package notifier

import (
	"context"
	"errors"
	"net/http"
	"strings"
)

func init() { register("telegram", newTelegram) }

// telegramAPI is the Bot API a Provider without an address posts to.
const telegramAPI = "https://api.telegram.org"

// telegramMaxMessage bounds the event's message: Telegram refuses a text
// over 4096 characters.
const telegramMaxMessage = 3000

// telegram sends a message with the Bot API's sendMessage, the token in
// the path; spec.channel is the chat id.
type telegram struct {
	client  *http.Client
	address string
	chatID  string
}

func newTelegram(o Options, client *http.Client) (Notifier, error) {
	if o.Token == "" {
		return nil, errors.New("telegram needs the bot's token in the Secret")
	}
	if o.Channel == "" {
		return nil, errors.New("telegram needs spec.channel, the chat id")
	}
	base := o.Address
	if base == "" {
		base = telegramAPI
	}
	address := strings.TrimSuffix(base, "/") + "/bot" + o.Token + "/sendMessage"
	return &telegram{client: client, address: address, chatID: o.Channel}, nil
}

type telegramMessage struct {
	ChatID    string `json:"chat_id"`
	Text      string `json:"text"`
	ParseMode string `json:"parse_mode"`
}

// newTelegramMessage is the event in Telegram's HTML: the object in bold,
// the severity in bold for an error and in italics otherwise, the message,
// then the metadata.
func newTelegramMessage(e Event, chatID string) telegramMessage {
	severity := "<i>" + e.Severity + "</i>"
	if isError(e) {
		severity = "<b>" + e.Severity + "</b>"
	}
	e.Message = chatTruncate(e.Message, telegramMaxMessage)
	return telegramMessage{ChatID: chatID, Text: chatHTML(e, severity), ParseMode: "HTML"}
}

func (t *telegram) Post(ctx context.Context, e Event) error {
	return postJSON(ctx, t.client, t.address, newTelegramMessage(e, t.chatID), nil)
}
