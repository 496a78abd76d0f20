package notifier

import (
	"context"
	"fmt"
	"net/http"
)

func init() { register("opsgenie", newOpsgenie) }

// opsgenieAPI is where Opsgenie's Alert API creates alerts (EU accounts
// set spec.address to https://api.eu.opsgenie.com/v2/alerts).
const opsgenieAPI = "https://api.opsgenie.com/v2/alerts"

// Limits of Opsgenie's alert fields.
const (
	opsgenieMessageLimit     = 130
	opsgenieDescriptionLimit = 15000
	opsgenieTagLimit         = 50
)

// opsgenie creates an alert per event with an API integration's key
// (Authorization: GenieKey <token>). The alert's message is the object, so
// Opsgenie's default alias (the message) folds the events of one object
// into one open alert.
type opsgenie struct {
	client  *http.Client
	address string
	token   string
}

func newOpsgenie(o Options, client *http.Client) (Notifier, error) {
	address := o.Address
	if address == "" {
		address = opsgenieAPI
	}
	if err := csCheckURL("opsgenie", address); err != nil {
		return nil, err
	}
	if o.Token == "" {
		return nil, fmt.Errorf("the opsgenie provider needs the API integration's key: set the token key of the Provider's Secret (spec.secretRef)")
	}
	return &opsgenie{client: client, address: address, token: o.Token}, nil
}

// opsgenieAlert is the body of "create alert".
type opsgenieAlert struct {
	Message     string            `json:"message"`
	Description string            `json:"description"`
	Tags        []string          `json:"tags,omitempty"`
	Details     map[string]string `json:"details"`
}

func newOpsgenieAlert(e Event) opsgenieAlert {
	details := make(map[string]string, len(e.Metadata)+2)
	for k, v := range e.Metadata {
		details[k] = v
	}
	details["severity"] = e.Severity
	details["reason"] = e.Reason
	var tags []string
	for _, t := range []string{"flux", e.InvolvedObject.Kind, e.Severity, e.Reason} {
		if t != "" {
			tags = append(tags, csLimit(t, opsgenieTagLimit))
		}
	}
	return opsgenieAlert{
		Message:     csLimit(objectName(e), opsgenieMessageLimit),
		Description: csLimit(e.Message, opsgenieDescriptionLimit),
		Tags:        tags,
		Details:     details,
	}
}

func (g *opsgenie) Post(ctx context.Context, e Event) error {
	return postJSON(ctx, g.client, g.address, newOpsgenieAlert(e), map[string]string{
		"Authorization": "GenieKey " + g.token,
	})
}
