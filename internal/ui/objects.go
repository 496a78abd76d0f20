package ui

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferrycd/ferry/api/meta"
)

// row is one object as the lists, the overview and the search show it:
// the columns of `ferry get` and its state.
type row struct {
	Kind      *kind
	Namespace string
	Name      string
	Revision  string
	Suspended bool
	// Ready is the Ready condition's status, Unknown without one.
	Ready string
	// Message is the Ready condition's message.
	Message string
	// Reason is the Ready condition's reason.
	Reason string
	// State is stateReady, stateFailing, stateProgressing or
	// stateSuspended.
	State string
	// Since is when the Ready condition last changed, zero without one.
	Since time.Time
	// Object is the object itself.
	Object conditioned
}

// Path is the row's object page.
func (r row) Path() string { return objectPath(r.Kind.name, r.Namespace, r.Name) }

// Cell is the row's value in the `ferry get` column col.
func (r row) Cell(col string) string {
	switch col {
	case colRevision, colLastScan, colLatestImage, colLastRun:
		return r.Revision
	case colSuspended:
		if r.Suspended {
			return "True"
		}
		return "False"
	case colReady:
		return r.Ready
	default:
		return strings.Join(strings.Fields(r.Message), " ")
	}
}

// rowOf builds the row of obj, of kind k.
func rowOf(k *kind, obj conditioned) row {
	r := row{
		Kind:      k,
		Namespace: obj.GetNamespace(),
		Name:      obj.GetName(),
		Revision:  revisionOf(obj),
		Suspended: obj.IsSuspended(),
		Ready:     string(metav1.ConditionUnknown),
		Message:   "waiting to be reconciled",
		State:     stateOf(obj),
		Object:    obj,
	}
	if c := apimeta.FindStatusCondition(obj.GetConditions(), meta.ReadyCondition); c != nil {
		r.Ready = string(c.Status)
		r.Message = c.Message
		r.Reason = c.Reason
		r.Since = c.LastTransitionTime.Time
	}
	return r
}

// rows reads every object of kind k (in namespace ns unless empty) that
// the request's user may see (visible.go).
func (s *Server) rows(ctx context.Context, k *kind, ns string) ([]row, error) {
	visible, err := s.visibleIn(ctx)
	if err != nil {
		return nil, err
	}
	list := k.newList()
	var opts []client.ListOption
	if ns != "" {
		opts = append(opts, client.InNamespace(ns))
	}
	if err := s.opts.Reader.List(ctx, list, opts...); err != nil {
		return nil, fmt.Errorf("listing %s: %w", k.plural, err)
	}
	items, err := apimeta.ExtractList(list)
	if err != nil {
		return nil, err
	}
	out := make([]row, 0, len(items))
	for _, item := range items {
		obj, ok := item.(conditioned)
		if !ok || !visible.Allows(k.name, obj.GetNamespace()) {
			continue
		}
		out = append(out, rowOf(k, obj))
	}
	sortRows(out, "")
	return out, nil
}

// allRows reads every object of every kind, in the order of kinds.
func (s *Server) allRows(ctx context.Context) (map[*kind][]row, error) {
	all := map[*kind][]row{}
	for _, k := range kinds {
		rows, err := s.rows(ctx, k, "")
		if err != nil {
			return nil, err
		}
		all[k] = rows
	}
	return all, nil
}

// Sort orders of a list (the sort parameter).
const (
	sortName     = "name"     // namespace, then name (the default)
	sortStatus   = "status"   // failing, progressing, suspended, ready
	sortSince    = "since"    // latest Ready change first
	sortRevision = "revision" // by revision, then name
)

var sortOrders = []string{sortName, sortStatus, sortSince, sortRevision}

// stateRank orders the states with the worst first.
var stateRank = map[string]int{stateFailing: 0, stateProgressing: 1, stateSuspended: 2, stateReady: 3}

// states are the states in the overview's order.
var states = []string{stateFailing, stateProgressing, stateSuspended, stateReady}

// sortRows orders rows by order (sortName when unknown).
func sortRows(rows []row, order string) {
	byName := func(a, b row) bool {
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		return a.Name < b.Name
	}
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		switch order {
		case sortStatus:
			if stateRank[a.State] != stateRank[b.State] {
				return stateRank[a.State] < stateRank[b.State]
			}
		case sortSince:
			if !a.Since.Equal(b.Since) {
				return a.Since.After(b.Since)
			}
		case sortRevision:
			if a.Revision != b.Revision {
				return a.Revision < b.Revision
			}
		}
		return byName(a, b)
	})
}

// objectPath is the page of one object.
func objectPath(kind, ns, name string) string {
	return "/o/" + url.PathEscape(kind) + "/" + url.PathEscape(ns) + "/" + url.PathEscape(name)
}
