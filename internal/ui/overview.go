package ui

import (
	"net/http"
	"sort"
	"strings"
)

// overviewPage is the data of the overview.
type overviewPage struct {
	// Counts are the objects per kind and state, in the order of kinds.
	Counts []kindCount
	// Failing are the failing objects, the longest failing first.
	Failing []row
	// Sources are the source objects with their last revision, newest
	// change first.
	Sources []row
	// Empty says there are no objects at all.
	Empty bool
	// Restricted says the user sees only what they may read (visible.go),
	// so Empty may mean they may read nothing; AccessHint is how to get
	// the right.
	Restricted bool
	AccessHint string
	// States are the states in the table's order.
	States []string
}

// kindCount is one kind's line in the overview.
type kindCount struct {
	Kind   *kind
	Total  int
	States map[string]int
}

func (s *Server) overview(w http.ResponseWriter, r *http.Request) {
	all, err := s.allRows(r.Context())
	if err != nil {
		s.listErr(w, r, err)
		return
	}
	visible, err := s.visible(r)
	if err != nil {
		s.listErr(w, r, err)
		return
	}
	p := overviewPage{Empty: true, States: states, Restricted: visible.Restricted(), AccessHint: readAccessHint}
	for _, k := range kinds {
		c := kindCount{Kind: k, States: map[string]int{}}
		for _, row := range all[k] {
			c.Total++
			c.States[row.State]++
			if row.State == stateFailing {
				p.Failing = append(p.Failing, row)
			}
			if k.source {
				p.Sources = append(p.Sources, row)
			}
		}
		if c.Total > 0 {
			p.Empty = false
		}
		p.Counts = append(p.Counts, c)
	}
	sort.SliceStable(p.Failing, func(i, j int) bool { return p.Failing[i].Since.Before(p.Failing[j].Since) })
	sort.SliceStable(p.Sources, func(i, j int) bool { return p.Sources[i].Since.After(p.Sources[j].Since) })
	s.render(w, r, http.StatusOK, "overview", page{Title: "Overview", Data: p})
}

// maxSearchResults bounds the search page.
const maxSearchResults = 200

// searchPage is the data of the search page.
type searchPage struct {
	Query   string
	Results []row
	// More says results were left off.
	More bool
}

// search finds objects whose name, namespace, kind, revision or Ready
// message contains the query, without case.
func (s *Server) search(w http.ResponseWriter, r *http.Request) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	p := searchPage{Query: q}
	if q != "" {
		all, err := s.allRows(r.Context())
		if err != nil {
			s.listErr(w, r, err)
			return
		}
		needle := strings.ToLower(q)
		for _, k := range kinds {
			for _, row := range all[k] {
				if !matches(row, needle) {
					continue
				}
				if len(p.Results) == maxSearchResults {
					p.More = true
					break
				}
				p.Results = append(p.Results, row)
			}
		}
	}
	s.render(w, r, http.StatusOK, "search", page{Title: "Search " + q, Query: q, Data: p})
}

// matches reports whether needle (lower case) is in one of the row's
// searched fields.
func matches(r row, needle string) bool {
	for _, field := range []string{r.Name, r.Namespace, r.Kind.name, r.Revision, r.Message} {
		if strings.Contains(strings.ToLower(field), needle) {
			return true
		}
	}
	return false
}
