package notifier

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"

	"github.com/ferrycd/ferry/internal/events"
)

func init() { register("pagerduty", newPagerDuty) }

// pagerDutyEvents is PagerDuty's Events API v2 host; events go to its
// /v2/enqueue.
const pagerDutyEvents = "https://events.pagerduty.com"

// Limits of the Events API v2.
const (
	pagerDutySummaryLimit  = 1024
	pagerDutyDedupKeyLimit = 255
)

// pagerDutyReadyReasons are the reasons of the info events an object
// records when it becomes Ready: they resolve the incident its failures
// opened.
var pagerDutyReadyReasons = map[string]bool{
	"ReconciliationSucceeded": true, // Kustomization applied
	"Succeeded":               true, // health checks passed, source ready
	"NewArtifact":             true, // source fetched a new revision
	"NewChart":                true, // HelmChart built a new chart
	"ChartPullSucceeded":      true,
	"ChartPackageSucceeded":   true,
	"InstallSucceeded":        true, // HelmRelease installed
	"UpgradeSucceeded":        true, // HelmRelease upgraded
	"TestSucceeded":           true, // HelmRelease tests passed
}

// pagerDuty sends events to a PagerDuty service's Events API v2
// integration: an error event triggers an incident, a Ready success of the
// same object resolves it (both carry the object as dedup_key), and other
// events are not sent: PagerDuty pages on every trigger.
type pagerDuty struct {
	client     *http.Client
	address    string
	routingKey string
}

func newPagerDuty(o Options, client *http.Client) (Notifier, error) {
	address := strings.TrimRight(o.Address, "/")
	if address == "" {
		address = pagerDutyEvents
	}
	if err := csCheckURL("pagerduty", address); err != nil {
		return nil, err
	}
	if !strings.HasSuffix(address, "/v2/enqueue") {
		address += "/v2/enqueue"
	}
	if o.Channel == "" {
		return nil, errors.New("the pagerduty provider needs the integration's routing key in spec.channel")
	}
	return &pagerDuty{client: client, address: address, routingKey: o.Channel}, nil
}

// pagerDutyEvent is the body of an alert event.
type pagerDutyEvent struct {
	RoutingKey  string            `json:"routing_key"`
	EventAction string            `json:"event_action"`
	DedupKey    string            `json:"dedup_key"`
	Payload     *pagerDutyPayload `json:"payload,omitempty"`
}

type pagerDutyPayload struct {
	Summary       string         `json:"summary"`
	Source        string         `json:"source"`
	Severity      string         `json:"severity"`
	Timestamp     string         `json:"timestamp,omitempty"`
	Component     string         `json:"component,omitempty"`
	Group         string         `json:"group,omitempty"`
	Class         string         `json:"class,omitempty"`
	CustomDetails map[string]any `json:"custom_details,omitempty"`
}

// pagerDutyDedupKey names the involved object, so its incident stays one
// across events and a later success resolves it.
func pagerDutyDedupKey(e Event) string {
	o := e.InvolvedObject
	key := o.Kind + "/" + o.Namespace + "/" + o.Name
	if len(key) > pagerDutyDedupKeyLimit {
		sum := sha256.Sum256([]byte(key))
		key = hex.EncodeToString(sum[:])
	}
	return key
}

// newPagerDutyEvent returns the event e sends; ok is false when e sends
// nothing.
func newPagerDutyEvent(e Event, routingKey string) (pd pagerDutyEvent, ok bool) {
	pd = pagerDutyEvent{RoutingKey: routingKey, DedupKey: pagerDutyDedupKey(e)}
	switch {
	case isError(e):
		source := e.ReportingController
		if source == "" {
			source = "ferry"
		}
		details := map[string]any{
			"message":   e.Message,
			"reason":    e.Reason,
			"kind":      e.InvolvedObject.Kind,
			"name":      e.InvolvedObject.Name,
			"namespace": e.InvolvedObject.Namespace,
		}
		if len(e.Metadata) > 0 {
			details["metadata"] = e.Metadata
		}
		pd.EventAction = "trigger"
		pd.Payload = &pagerDutyPayload{
			Summary:       csLimit(objectName(e)+": "+strings.Join(strings.Fields(e.Message), " "), pagerDutySummaryLimit),
			Source:        source,
			Severity:      "error",
			Timestamp:     csTimestamp(e),
			Component:     e.InvolvedObject.Name,
			Group:         e.InvolvedObject.Kind,
			Class:         e.Reason,
			CustomDetails: details,
		}
		return pd, true
	case e.Severity == events.SeverityInfo && pagerDutyReadyReasons[e.Reason]:
		pd.EventAction = "resolve"
		return pd, true
	default:
		return pagerDutyEvent{}, false
	}
}

func (p *pagerDuty) Post(ctx context.Context, e Event) error {
	pd, ok := newPagerDutyEvent(e, p.routingKey)
	if !ok {
		return nil
	}
	return postJSON(ctx, p.client, p.address, pd, nil)
}
