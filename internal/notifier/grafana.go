package notifier

import (
	"context"
	"net/http"
	"strings"
)

func init() { register("grafana", newGrafana) }

// grafana creates an organization annotation per event through Grafana's
// HTTP API (the address is https://<host>/api/annotations), with the token
// as a service account (bearer) token or spec.username and the Secret's
// password as basic authentication. Its tags ("flux", the object, the
// reason, the metadata as key:value) let a dashboard's annotation query
// pick the events it shows.
type grafana struct {
	client  *http.Client
	address string
	headers map[string]string
}

func newGrafana(o Options, client *http.Client) (Notifier, error) {
	if err := csCheckURL("grafana", o.Address); err != nil {
		return nil, err
	}
	return &grafana{client: client, address: o.Address, headers: bearerOrBasic(o)}, nil
}

// grafanaAnnotation is the body of "create annotation".
type grafanaAnnotation struct {
	// Time is in milliseconds since the epoch; omitted, Grafana uses now.
	Time int64    `json:"time,omitempty"`
	Text string   `json:"text"`
	Tags []string `json:"tags"`
}

// grafanaTag is one key:value tag. Grafana splits a tag at its colons
// into a key and a value, so colons inside either become "|", as Flux
// writes them ("main@sha1|<hex>").
func grafanaTag(k, v string) string {
	return strings.ReplaceAll(k, ":", "|") + ":" + strings.ReplaceAll(v, ":", "|")
}

func newGrafanaAnnotation(e Event) grafanaAnnotation {
	o := e.InvolvedObject
	tags := []string{"flux"}
	if e.ReportingController != "" {
		tags = append(tags, e.ReportingController)
	}
	tags = append(tags,
		grafanaTag("kind", o.Kind),
		grafanaTag("name", o.Name),
		grafanaTag("namespace", o.Namespace),
		grafanaTag("reason", e.Reason),
	)
	for _, k := range sortedMetadata(e) {
		tags = append(tags, grafanaTag(k, e.Metadata[k]))
	}
	a := grafanaAnnotation{Text: objectName(e) + ": " + e.Message, Tags: tags}
	if !e.Timestamp.IsZero() {
		a.Time = e.Timestamp.UnixMilli()
	}
	return a
}

func (g *grafana) Post(ctx context.Context, e Event) error {
	return postJSON(ctx, g.client, g.address, newGrafanaAnnotation(e), g.headers)
}
