package ui

import (
	"net/http"
	"slices"
	"sort"
	"strconv"
)

// listPage is the data of a kind's list.
type listPage struct {
	Kind *kind
	// Rows are this page's objects; the pager's Total is how many pass
	// the filters, All how many there are.
	Rows []row
	pager
	All int
	// Namespaces are the namespaces that hold objects of the kind.
	Namespaces []string
	// The filters and order of the request.
	Namespace, Status, Sort string
	States                  []string
	SortOrders              []string
	// Restricted says the user sees only what they may read (visible.go).
	Restricted bool
}

// PageURL is page n with this page's filters.
func (p listPage) PageURL(n int) string {
	return listURL(p.Kind.name, "ns", p.Namespace, "status", p.Status, "sort", p.Sort, "page", strconv.Itoa(n))
}

func (s *Server) list(w http.ResponseWriter, r *http.Request) {
	k := kindNamed(r.PathValue("kind"))
	if k == nil {
		s.fail(w, r, http.StatusNotFound, "Unknown kind", "ferry's UI shows no kind named "+r.PathValue("kind")+".")
		return
	}
	q := r.URL.Query()
	p := listPage{Kind: k, Namespace: q.Get("ns"), Status: q.Get("status"), Sort: q.Get("sort"), States: states, SortOrders: sortOrders}
	if !slices.Contains(states, p.Status) {
		p.Status = ""
	}
	if !slices.Contains(sortOrders, p.Sort) {
		p.Sort = ""
	}
	all, err := s.rows(r.Context(), k, "")
	if err != nil {
		s.listErr(w, r, err)
		return
	}
	p.All = len(all)
	if visible, err := s.visible(r); err == nil {
		p.Restricted = visible.Restricted()
	}

	// Filter, then sort, then cut the page.
	seen := map[string]bool{}
	var rows []row
	for _, row := range all {
		if !seen[row.Namespace] {
			seen[row.Namespace] = true
			p.Namespaces = append(p.Namespaces, row.Namespace)
		}
		if (p.Namespace != "" && row.Namespace != p.Namespace) || (p.Status != "" && row.State != p.Status) {
			continue
		}
		rows = append(rows, row)
	}
	sort.Strings(p.Namespaces)
	sortRows(rows, p.Sort)
	p.pager = newPager(q.Get("page"), len(rows))
	p.Rows = pageOf(p.pager, rows)
	s.render(w, r, http.StatusOK, "list", page{Title: k.plural, Nav: k.name, LiveKinds: k.name, Data: p})
}
