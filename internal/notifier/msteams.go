package notifier

import (
	"context"
	"net/http"
	"net/url"
	"strings"
)

func init() { register("msteams", newMSTeams) }

// msteams posts an Adaptive Card to a Teams Workflows (Power Automate)
// webhook, or the legacy MessageCard to an Office 365 connector URL
// (https://<tenant>.webhook.office.com/...), which takes no Adaptive Card.
type msteams struct {
	client  *http.Client
	address string
	legacy  bool
}

func newMSTeams(o Options, client *http.Client) (Notifier, error) {
	if err := chatNeedAddress(o); err != nil {
		return nil, err
	}
	return &msteams{client: client, address: o.Address, legacy: msteamsConnector(o.Address)}, nil
}

// msteamsConnector reports an Office 365 connector webhook: its host is
// webhook.office.com or one of its subdomains, or the older
// outlook.office.com.
func msteamsConnector(address string) bool {
	u, err := url.Parse(address)
	if err != nil {
		return false
	}
	host := strings.ToLower(u.Hostname())
	return host == "webhook.office.com" || strings.HasSuffix(host, ".webhook.office.com") || host == "outlook.office.com"
}

func (t *msteams) Post(ctx context.Context, e Event) error {
	if t.legacy {
		return postJSON(ctx, t.client, t.address, newMSTeamsMessageCard(e), nil)
	}
	return postJSON(ctx, t.client, t.address, newMSTeamsAdaptive(e), nil)
}

// msteamsMessage is the envelope a Workflows webhook reads: a message
// whose attachments are Adaptive Cards.
type msteamsMessage struct {
	Type        string              `json:"type"`
	Attachments []msteamsAttachment `json:"attachments"`
}

type msteamsAttachment struct {
	ContentType string          `json:"contentType"`
	Content     msteamsAdaptive `json:"content"`
}

type msteamsAdaptive struct {
	Schema  string           `json:"$schema"`
	Type    string           `json:"type"`
	Version string           `json:"version"`
	Body    []msteamsElement `json:"body"`
}

// msteamsElement is a TextBlock or, with Facts, a FactSet.
type msteamsElement struct {
	Type   string        `json:"type"`
	Text   string        `json:"text,omitempty"`
	Weight string        `json:"weight,omitempty"`
	Size   string        `json:"size,omitempty"`
	Color  string        `json:"color,omitempty"`
	Wrap   bool          `json:"wrap,omitempty"`
	Facts  []msteamsFact `json:"facts,omitempty"`
}

type msteamsFact struct {
	Title string `json:"title"`
	Value string `json:"value"`
}

// newMSTeamsAdaptive is the card: the object in bold (red for an error),
// the message, then the metadata as facts.
func newMSTeamsAdaptive(e Event) msteamsMessage {
	color := "Good"
	if isError(e) {
		color = "Attention"
	}
	body := []msteamsElement{
		{Type: "TextBlock", Text: objectName(e), Weight: "Bolder", Size: "Medium", Color: color, Wrap: true},
		{Type: "TextBlock", Text: e.Message, Wrap: true},
	}
	if len(e.Metadata) > 0 {
		facts := msteamsElement{Type: "FactSet"}
		for _, f := range chatFacts(e) {
			facts.Facts = append(facts.Facts, msteamsFact{Title: f.Key, Value: f.Value})
		}
		body = append(body, facts)
	}
	return msteamsMessage{
		Type: "message",
		Attachments: []msteamsAttachment{{
			ContentType: "application/vnd.microsoft.card.adaptive",
			Content: msteamsAdaptive{
				Schema:  "http://adaptivecards.io/schemas/adaptive-card.json",
				Type:    "AdaptiveCard",
				Version: "1.4",
				Body:    body,
			},
		}},
	}
}

// msteamsMessageCard is the legacy connector card.
type msteamsMessageCard struct {
	Type       string                  `json:"@type"`
	Context    string                  `json:"@context"`
	ThemeColor string                  `json:"themeColor"`
	Summary    string                  `json:"summary"`
	Sections   []msteamsMessageSection `json:"sections"`
}

type msteamsMessageSection struct {
	ActivityTitle    string               `json:"activityTitle"`
	ActivitySubtitle string               `json:"activitySubtitle"`
	Markdown         bool                 `json:"markdown"`
	Facts            []msteamsMessageFact `json:"facts,omitempty"`
}

type msteamsMessageFact struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// newMSTeamsMessageCard is the legacy card: a red or green bar, the object
// as the title, the message below it and the metadata as facts.
func newMSTeamsMessageCard(e Event) msteamsMessageCard {
	color := "2EB886"
	if isError(e) {
		color = "D93025"
	}
	section := msteamsMessageSection{ActivityTitle: objectName(e), ActivitySubtitle: e.Message}
	for _, f := range chatFacts(e) {
		section.Facts = append(section.Facts, msteamsMessageFact{Name: f.Key, Value: f.Value})
	}
	return msteamsMessageCard{
		Type:       "MessageCard",
		Context:    "https://schema.org/extensions",
		ThemeColor: color,
		Summary:    objectName(e),
		Sections:   []msteamsMessageSection{section},
	}
}
