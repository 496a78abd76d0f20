package notifier

import (
	"context"
	"html"
	"net/http"
)

func init() { register("googlechat", newGoogleChat) }

// googlechat posts a card (Cards v2) to a Google Chat space's incoming
// webhook.
type googlechat struct {
	client  *http.Client
	address string
}

func newGoogleChat(o Options, client *http.Client) (Notifier, error) {
	if err := chatNeedAddress(o); err != nil {
		return nil, err
	}
	return &googlechat{client: client, address: o.Address}, nil
}

func (g *googlechat) Post(ctx context.Context, e Event) error {
	return postJSON(ctx, g.client, g.address, newGoogleChatMessage(e), nil)
}

type googlechatMessage struct {
	CardsV2 []googlechatCardWithID `json:"cardsV2"`
}

type googlechatCardWithID struct {
	CardID string         `json:"cardId"`
	Card   googlechatCard `json:"card"`
}

type googlechatCard struct {
	Header   googlechatHeader    `json:"header"`
	Sections []googlechatSection `json:"sections"`
}

type googlechatHeader struct {
	Title    string `json:"title"`
	Subtitle string `json:"subtitle"`
}

type googlechatSection struct {
	Widgets []googlechatWidget `json:"widgets"`
}

// googlechatWidget is one of a text paragraph or a labelled text.
type googlechatWidget struct {
	TextParagraph *googlechatText          `json:"textParagraph,omitempty"`
	DecoratedText *googlechatDecoratedText `json:"decoratedText,omitempty"`
}

type googlechatText struct {
	Text string `json:"text"`
}

type googlechatDecoratedText struct {
	TopLabel string `json:"topLabel"`
	Text     string `json:"text"`
}

// newGoogleChatMessage is one card: the object as its title and the
// severity as its subtitle, the message (in red for an error), then a
// section of metadata.
func newGoogleChatMessage(e Event) googlechatMessage {
	text := html.EscapeString(e.Message)
	if isError(e) {
		text = `<font color="#d93025">` + text + `</font>`
	}
	sections := []googlechatSection{{Widgets: []googlechatWidget{{TextParagraph: &googlechatText{Text: text}}}}}
	if len(e.Metadata) > 0 {
		var widgets []googlechatWidget
		for _, f := range chatFacts(e) {
			widgets = append(widgets, googlechatWidget{DecoratedText: &googlechatDecoratedText{TopLabel: f.Key, Text: html.EscapeString(f.Value)}})
		}
		sections = append(sections, googlechatSection{Widgets: widgets})
	}
	return googlechatMessage{CardsV2: []googlechatCardWithID{{
		CardID: "ferry-event",
		Card: googlechatCard{
			Header:   googlechatHeader{Title: objectName(e), Subtitle: e.Severity},
			Sections: sections,
		},
	}}}
}
