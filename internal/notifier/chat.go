package notifier

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"strings"
)

// Helpers the chat payloads (slack.go, msteams.go, googlechat.go,
// telegram.go, matrix.go) share.

// chatFact is one metadata entry of an event, as a chat message lists it.
type chatFact struct {
	Key, Value string
}

// chatFacts returns the event's metadata (revision, summary, ...) sorted by
// key.
func chatFacts(e Event) []chatFact {
	facts := make([]chatFact, 0, len(e.Metadata))
	for _, k := range sortedMetadata(e) {
		facts = append(facts, chatFact{Key: k, Value: e.Metadata[k]})
	}
	return facts
}

// chatNeedAddress is the factory error of a type posted to o.Address when
// the Provider has none.
func chatNeedAddress(o Options) error {
	if o.Address == "" {
		return fmt.Errorf("%s needs an address: set spec.address or the Secret's address key", o.Type)
	}
	return nil
}

// chatText is the event as plain text: the object and severity, the
// message, then one line per metadata entry.
func chatText(e Event) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s)\n%s", objectName(e), e.Severity, e.Message)
	if len(e.Metadata) > 0 {
		b.WriteString("\n")
	}
	for _, f := range chatFacts(e) {
		fmt.Fprintf(&b, "\n%s: %s", f.Key, f.Value)
	}
	return b.String()
}

// chatHTML is chatText in the HTML both Telegram and Matrix accept (b, i,
// code), everything escaped; severity is the markup of the severity,
// which each service highlights its own way.
func chatHTML(e Event, severity string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "<b>%s</b> %s\n%s", html.EscapeString(objectName(e)), severity, html.EscapeString(e.Message))
	if len(e.Metadata) > 0 {
		b.WriteString("\n")
	}
	for _, f := range chatFacts(e) {
		fmt.Fprintf(&b, "\n<b>%s</b>: <code>%s</code>", html.EscapeString(f.Key), html.EscapeString(f.Value))
	}
	return b.String()
}

// chatTruncate cuts s to at most n runes, marking the cut.
func chatTruncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// chatSend is post for the services that answer a failure with 200 and a
// body saying so (Slack's Web API): it returns the start of a 2xx body.
// Like post, its error never contains the address.
func chatSend(ctx context.Context, client *http.Client, address string, body []byte, headers map[string]string) ([]byte, error) {
	return send(ctx, client, http.MethodPost, address, body, headers)
}
