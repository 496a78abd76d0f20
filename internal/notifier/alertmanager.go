package notifier

import (
	"context"
	"net/http"
	"strings"
	"unicode"
)

func init() { register("alertmanager", newAlertmanager) }

// alertmanager posts one firing alert per event to Alertmanager's API v2
// (the address is https://<host>/api/v2/alerts), with the token as a
// bearer token or spec.username and the Secret's password as basic
// authentication. The labels identify the alert (object, reason,
// severity, metadata); the annotations carry the message. No endsAt:
// Alertmanager resolves the alert after its resolve_timeout.
type alertmanager struct {
	client  *http.Client
	address string
	headers map[string]string
}

func newAlertmanager(o Options, client *http.Client) (Notifier, error) {
	if err := csCheckURL("alertmanager", o.Address); err != nil {
		return nil, err
	}
	return &alertmanager{client: client, address: o.Address, headers: bearerOrBasic(o)}, nil
}

// alertmanagerAlert is one element of the postable alerts array.
type alertmanagerAlert struct {
	Status      string            `json:"status"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	StartsAt    string            `json:"startsAt,omitempty"`
}

func newAlertmanagerAlert(e Event) alertmanagerAlert {
	labels := map[string]string{}
	for k, v := range e.Metadata {
		// The summary describes, it does not identify: an annotation.
		if k == "summary" || v == "" {
			continue
		}
		labels[alertmanagerLabelName(k)] = v
	}
	o := e.InvolvedObject
	for k, v := range map[string]string{
		"alertname":           "Flux" + o.Kind + alertmanagerTitle(e.Reason),
		"severity":            e.Severity,
		"reason":              e.Reason,
		"kind":                o.Kind,
		"name":                o.Name,
		"namespace":           o.Namespace,
		"reportingcontroller": e.ReportingController,
	} {
		if v != "" {
			labels[k] = v
		}
	}
	summary := e.Metadata["summary"]
	if summary == "" {
		summary = objectName(e) + " " + e.Reason
	}
	return alertmanagerAlert{
		Status:      "firing",
		Labels:      labels,
		Annotations: map[string]string{"message": e.Message, "summary": summary},
		StartsAt:    csTimestamp(e),
	}
}

// alertmanagerTitle capitalises each word of s and lowers the rest, as
// Flux names its alerts ("ReconciliationSucceeded" gives
// "Reconciliationsucceeded"), so routes written for Flux's alert names
// match ferry's.
func alertmanagerTitle(s string) string {
	var b strings.Builder
	start := true
	for _, r := range s {
		if start {
			b.WriteRune(unicode.ToUpper(r))
		} else {
			b.WriteRune(unicode.ToLower(r))
		}
		start = !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}
	return b.String()
}

// alertmanagerLabelName makes k a valid Prometheus label name
// ([a-zA-Z_][a-zA-Z0-9_]*), which Alertmanager releases before UTF-8
// names require: other characters become "_".
func alertmanagerLabelName(k string) string {
	var b strings.Builder
	for i, r := range k {
		switch {
		case r == '_' || ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z'):
			b.WriteRune(r)
		case '0' <= r && r <= '9':
			if i == 0 {
				b.WriteByte('_')
			}
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return b.String()
}

func (a *alertmanager) Post(ctx context.Context, e Event) error {
	return postJSON(ctx, a.client, a.address, []alertmanagerAlert{newAlertmanagerAlert(e)}, a.headers)
}
