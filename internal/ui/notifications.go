package ui

import (
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"time"

	notificationv1beta3 "github.com/ferrycd/ferry/api/notification/v1beta3"
	"github.com/ferrycd/ferry/internal/notification"
)

// The outcome filter of /notifications: an AlertOutcome's outcome, or
// for a matched one how its delivery ended.
const (
	outcomeMatched    = "matched"
	outcomeDelivered  = "delivered"
	outcomeFailed     = "failed"
	outcomeExcluded   = "excluded"
	outcomeSuppressed = "suppressed"
	outcomeDropped    = "dropped"
)

var dispatchOutcomes = []string{outcomeMatched, outcomeDelivered, outcomeFailed, outcomeExcluded, outcomeSuppressed, outcomeDropped}

// notificationsPage is the data of the dispatch log.
type notificationsPage struct {
	// Kept says a dispatcher runs in this process, so there is a log of
	// the last Size events.
	Kept bool
	Size int
	// Rows are this page's outcomes, newest first; the pager's Total is
	// how many pass the filters, All how many the user may see.
	Rows []dispatchRow
	pager
	All int
	// Namespaces and Providers ("namespace/name") are the filters'
	// choices: those of the outcomes the user may see.
	Namespaces, Providers []string
	// The filters of the request.
	Namespace, Provider, Outcome string
	Outcomes                     []string
}

// dispatchRow is what became of one event for one Alert.
type dispatchRow struct {
	Time time.Time
	// Object is the event's involved object; ObjectPath its page, empty
	// when the UI does not show it to the user.
	Object     notification.ObjectRef
	ObjectPath string
	Reason     string
	Severity   string
	Revision   string
	// Namespace is the Alert's and its Provider's.
	Namespace string
	Alert     string
	AlertPath string
	// Provider is the Provider's name; ProviderPath its page, empty when
	// the user may not see it.
	Provider     string
	ProviderPath string
	notification.AlertOutcome
}

// Label is what the row's badge says: the outcome, or for a matched
// event its delivery's result.
func (r dispatchRow) Label() string {
	if r.Outcome == notification.OutcomeMatched {
		return r.Delivery.Result
	}
	return r.AlertOutcome.Outcome
}

// StateClass is the badge's colour, one of the states' (style.css).
func (r dispatchRow) StateClass() string {
	switch r.Label() {
	case notificationv1beta3.DeliveryDelivered:
		return stateReady
	case notificationv1beta3.DeliveryFailed, notification.OutcomeDropped:
		return stateFailing
	case notification.DeliveryQueued, notification.DeliveryRetrying:
		return stateProgressing
	}
	return stateSuspended
}

// is reports whether the row passes the outcome filter.
func (r dispatchRow) is(outcome string) bool {
	switch outcome {
	case "":
		return true
	case outcomeMatched:
		return r.AlertOutcome.Outcome == notification.OutcomeMatched
	case outcomeDelivered:
		return r.AlertOutcome.Outcome == notification.OutcomeMatched && r.Delivery.Result == notificationv1beta3.DeliveryDelivered
	case outcomeFailed:
		return r.AlertOutcome.Outcome == notification.OutcomeMatched && r.Delivery.Result == notificationv1beta3.DeliveryFailed
	case outcomeExcluded:
		return r.AlertOutcome.Outcome == notification.OutcomeExcluded
	case outcomeSuppressed:
		return r.AlertOutcome.Outcome == notification.OutcomeSuppressed
	case outcomeDropped:
		return r.AlertOutcome.Outcome == notification.OutcomeDropped
	}
	return false
}

// PageURL is page n with this page's filters.
func (p notificationsPage) PageURL(n int) string {
	v := url.Values{}
	for key, val := range map[string]string{"ns": p.Namespace, "provider": p.Provider, "outcome": p.Outcome, "page": strconv.Itoa(n)} {
		if val != "" {
			v.Set(key, val)
		}
	}
	return "/notifications?" + v.Encode()
}

// notifications shows the dispatch log: what the dispatcher of this
// process did with each event an Alert names, newest first, one row per
// Alert, only for the Alerts the user may see.
func (s *Server) notifications(w http.ResponseWriter, r *http.Request) {
	visible, err := s.visible(r)
	if err != nil {
		s.listErr(w, r, err)
		return
	}
	q := r.URL.Query()
	p := notificationsPage{Kept: s.opts.Dispatches != nil, Size: notification.DefaultDispatchLogSize, Namespace: q.Get("ns"), Provider: q.Get("provider"), Outcome: q.Get("outcome"), Outcomes: dispatchOutcomes}
	if !slices.Contains(dispatchOutcomes, p.Outcome) {
		p.Outcome = ""
	}
	var decisions []notification.Decision
	if s.opts.Dispatches != nil {
		decisions = s.opts.Dispatches()
	}

	// Keep what the user may see, then filter, then cut the page.
	namespaces, providers := map[string]bool{}, map[string]bool{}
	var rows []dispatchRow
	for _, d := range decisions {
		for _, o := range d.Alerts {
			ns := o.Alert.Namespace
			if !visible.Allows(notificationv1beta3.AlertKind, ns) {
				continue
			}
			p.All++
			provider := ns + "/" + o.Provider
			namespaces[ns], providers[provider] = true, true
			if (p.Namespace != "" && ns != p.Namespace) || (p.Provider != "" && provider != p.Provider) {
				continue
			}
			row := dispatchRow{
				Time: d.Time, Object: d.Object, Reason: d.Reason, Severity: d.Severity, Revision: d.Revision,
				Namespace: ns, Alert: o.Alert.Name, AlertPath: objectPath(notificationv1beta3.AlertKind, ns, o.Alert.Name),
				Provider: o.Provider, AlertOutcome: o,
			}
			if !row.is(p.Outcome) {
				continue
			}
			if visible.Allows(notificationv1beta3.ProviderKind, ns) {
				row.ProviderPath = objectPath(notificationv1beta3.ProviderKind, ns, o.Provider)
			}
			if k := kindNamed(d.Object.Kind); k != nil && visible.Allows(k.name, d.Object.Namespace) {
				row.ObjectPath = objectPath(k.name, d.Object.Namespace, d.Object.Name)
			}
			rows = append(rows, row)
		}
	}
	for ns := range namespaces {
		p.Namespaces = append(p.Namespaces, ns)
	}
	for pr := range providers {
		p.Providers = append(p.Providers, pr)
	}
	sort.Strings(p.Namespaces)
	sort.Strings(p.Providers)
	p.pager = newPager(q.Get("page"), len(rows))
	p.Rows = pageOf(p.pager, rows)
	s.render(w, r, http.StatusOK, "notifications", page{Title: "Notifications", Nav: "Notifications", Data: p})
}
