package notifier

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

func init() { register("matrix", newMatrix) }

// matrix sends an m.room.message to the room spec.channel names (its
// room id, "!abc:example.org") with the Client-Server API, authenticated
// by the Secret's access token.
type matrix struct {
	client *http.Client
	room   string // the send endpoint, without the transaction id
	token  string
}

func newMatrix(o Options, client *http.Client) (Notifier, error) {
	if err := chatNeedAddress(o); err != nil {
		return nil, err
	}
	if o.Token == "" {
		return nil, errors.New("matrix needs an access token in the Secret")
	}
	if o.Channel == "" {
		return nil, errors.New("matrix needs spec.channel, the room id")
	}
	room := strings.TrimSuffix(o.Address, "/") + "/_matrix/client/v3/rooms/" + url.PathEscape(o.Channel) + "/send/m.room.message/"
	return &matrix{client: client, room: room, token: o.Token}, nil
}

type matrixMessage struct {
	MsgType       string `json:"msgtype"`
	Body          string `json:"body"`
	Format        string `json:"format"`
	FormattedBody string `json:"formatted_body"`
}

// newMatrixMessage is the event as plain text, and as HTML with the
// severity in red for an error.
func newMatrixMessage(e Event) matrixMessage {
	severity := "<i>" + e.Severity + "</i>"
	if isError(e) {
		severity = `<font data-mx-color="#d93025"><b>` + e.Severity + `</b></font>`
	}
	return matrixMessage{
		MsgType:       "m.text",
		Body:          chatText(e),
		Format:        "org.matrix.custom.html",
		FormattedBody: chatHTML(e, severity),
	}
}

// matrixTxnID names the transaction after the event, so a retry of the
// same event is one message: the server answers it with the first
// attempt's event id.
func matrixTxnID(e Event) (string, error) {
	b, err := json.Marshal(e)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return "ferry-" + hex.EncodeToString(sum[:16]), nil
}

func (m *matrix) Post(ctx context.Context, e Event) error {
	txn, err := matrixTxnID(e)
	if err != nil {
		return Permanent(fmt.Errorf("encoding the event: %w", err))
	}
	body, err := json.Marshal(newMatrixMessage(e))
	if err != nil {
		return Permanent(fmt.Errorf("encoding the payload: %w", err))
	}
	return post(ctx, m.client, http.MethodPut, m.room+txn, body, map[string]string{
		"Content-Type":  "application/json",
		"Authorization": "Bearer " + m.token,
	})
}
