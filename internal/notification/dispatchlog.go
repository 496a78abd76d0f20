package notification

import (
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/ferrycd/ferry/internal/events"
)

// DefaultDispatchLogSize is how many decisions a DispatchLog keeps.
const DefaultDispatchLogSize = 1000

// Outcomes of an event for one Alert, in AlertOutcome.Outcome.
const (
	// OutcomeMatched: the Alert selects the event, which is queued for its
	// Provider; Delivery says how the delivery went.
	OutcomeMatched = "Matched"
	// OutcomeExcluded: an eventSources entry names the object, but a rule
	// of the Alert (Rule) keeps the event out.
	OutcomeExcluded = "Excluded"
	// OutcomeSuppressed: an identical event was notified within the rate
	// limit interval.
	OutcomeSuppressed = "Suppressed"
	// OutcomeDropped: the Provider's queue was full.
	OutcomeDropped = "Dropped"
)

// Rules that exclude an event, in AlertOutcome.Rule.
const (
	// RuleEventSources: no eventSources entry names the object; such an
	// Alert is not concerned, and the log leaves it out.
	RuleEventSources = "eventSources"
	// RuleSuspended: the Alert is suspended or being deleted.
	RuleSuspended = "suspended"
	// RuleSeverity: the Alert's eventSeverity is error and the event info.
	RuleSeverity = "eventSeverity"
	// RuleMatchLabels: the only entries that name the object select by
	// labels the object does not have (or that could not be read).
	RuleMatchLabels = "matchLabels"
	// RuleInclusionList and RuleExclusionList: the message matches none of
	// spec.inclusionList, or one of spec.exclusionList.
	RuleInclusionList = "inclusionList"
	RuleExclusionList = "exclusionList"
	// RuleCrossNamespace: --no-cross-namespace-refs refuses an Alert whose
	// eventSources name another namespace.
	RuleCrossNamespace = "crossNamespace"
	// RuleInvalid: the Alert has what its controller stalls it for (an
	// expression that does not compile, matchLabels without name '*').
	RuleInvalid = "invalid"
)

// Results of a delivery in the dispatch log, beyond those of a Provider's
// status (Delivered, Failed, Dropped).
const (
	// DeliveryQueued: waiting for the Provider's worker.
	DeliveryQueued = "Queued"
	// DeliveryRetrying: an attempt failed and another will be made.
	DeliveryRetrying = "Retrying"
	// DeliverySkipped: nothing was sent (Error says why: the Provider is
	// suspended, or a commit-status Provider does not take the event).
	DeliverySkipped = "Skipped"
)

// Decision is what the dispatcher did with one event that the
// eventSources of at least one Alert name. Events no Alert names are not
// recorded: they would push the useful decisions out of the log.
type Decision struct {
	// Time is when the event was dispatched.
	Time time.Time
	// Object is the event's involved object.
	Object ObjectRef
	// Reason, Severity and Revision are the event's.
	Reason, Severity, Revision string
	// Alerts are the outcomes for each Alert that names the object, in the
	// order the Alerts were listed.
	Alerts []AlertOutcome
}

// ObjectRef names the involved object of an event.
type ObjectRef struct {
	APIVersion, Kind, Namespace, Name string
}

// AlertOutcome is what became of an event for one Alert.
type AlertOutcome struct {
	// Alert is the Alert; its Provider is in the same namespace.
	Alert types.NamespacedName
	// Provider is the name of the Alert's Provider.
	Provider string
	// Outcome is OutcomeMatched, OutcomeExcluded, OutcomeSuppressed or
	// OutcomeDropped.
	Outcome string
	// Rule is the rule that excluded the event (Rule*), for
	// OutcomeExcluded.
	Rule string
	// Delivery is how the delivery went, for OutcomeMatched.
	Delivery Delivery
}

// Delivery is how one notification's delivery went so far.
type Delivery struct {
	// Result is DeliveryQueued, DeliveryRetrying, DeliverySkipped, or
	// finally Delivered or Failed.
	Result string
	// StatusCode is the HTTP status of the last attempt's answer; 0 when
	// none came (a network error, a timeout, nothing sent).
	StatusCode int
	// Error is why the last attempt failed, redacted as the Provider
	// status' messages are: never an address or a token.
	Error string
	// Attempts is how many times it was posted.
	Attempts int
	// Updated is when Result last changed.
	Updated time.Time
}

// DispatchLog keeps the dispatcher's last decisions in memory, for the
// web UI: a ring of fixed size, so that a storm of events costs a bounded
// amount of memory. It is the log of this process only: with leader
// election the leader dispatches, so the others' logs stay empty. A nil
// *DispatchLog records nothing.
type DispatchLog struct {
	mu   sync.Mutex
	ring []*decision
	next int
	now  func() time.Time
}

// decision is a Decision as the log holds it: outcomes by pointer, so
// that the delivery goroutines update them in place.
type decision struct {
	Decision
	alerts []*AlertOutcome
}

// NewDispatchLog returns a log of the last size decisions
// (DefaultDispatchLogSize when size is not positive).
func NewDispatchLog(size int) *DispatchLog {
	if size <= 0 {
		size = DefaultDispatchLogSize
	}
	return &DispatchLog{ring: make([]*decision, 0, size), now: time.Now}
}

// Decisions returns a copy of the decisions, newest first.
func (l *DispatchLog) Decisions() []Decision {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]Decision, 0, len(l.ring))
	for i := range l.ring {
		// The newest is just before next; the ring wraps when full.
		d := l.ring[(l.next-1-i+2*len(l.ring))%len(l.ring)]
		c := d.Decision
		c.Alerts = make([]AlertOutcome, len(d.alerts))
		for j, o := range d.alerts {
			c.Alerts[j] = *o
		}
		out = append(out, c)
	}
	return out
}

// begin records a new decision about e and returns it, nil without a log.
func (l *DispatchLog) begin(e *events.Event) *decision {
	if l == nil {
		return nil
	}
	o := e.InvolvedObject
	d := &decision{Decision: Decision{
		Object:   ObjectRef{APIVersion: o.APIVersion, Kind: o.Kind, Namespace: o.Namespace, Name: o.Name},
		Reason:   e.Reason,
		Severity: e.Severity,
		Revision: e.Metadata[events.MetaRevision],
	}}
	l.mu.Lock()
	defer l.mu.Unlock()
	d.Time = l.now()
	if len(l.ring) < cap(l.ring) {
		l.ring = append(l.ring, d)
		l.next = len(l.ring) % cap(l.ring)
		return d
	}
	l.ring[l.next] = d
	l.next = (l.next + 1) % len(l.ring)
	return d
}

// outcome adds the outcome of d for alert and returns it, nil without a
// log.
func (l *DispatchLog) outcome(d *decision, alert types.NamespacedName, provider, outcome, rule string) *AlertOutcome {
	if l == nil || d == nil {
		return nil
	}
	o := &AlertOutcome{Alert: alert, Provider: provider, Outcome: outcome, Rule: rule}
	l.mu.Lock()
	defer l.mu.Unlock()
	if outcome == OutcomeMatched {
		o.Delivery = Delivery{Result: DeliveryQueued, Updated: l.now()}
	}
	d.alerts = append(d.alerts, o)
	return o
}

// update changes o under the log's lock; o may be nil (no log) or
// already pushed out of the ring.
func (l *DispatchLog) update(o *AlertOutcome, change func(*AlertOutcome)) {
	if l == nil || o == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	change(o)
	o.Delivery.Updated = l.now()
}
