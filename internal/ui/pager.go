package ui

import "strconv"

// pageSize is how many rows a paged page shows.
const pageSize = 100

// pager is the paging of a page's rows, pageSize a page. A page's data
// embeds it and adds PageURL(n int) string, the page's own link to its
// page n; the "pager" template (layout.html) draws the links from both.
type pager struct {
	// Page is this page's number (1 first), Pages how many there are.
	Page, Pages int
	// First and Last number the rows shown, from 1; 0 for none.
	First, Last int
	// Total is how many rows there are over all pages.
	Total int
}

// newPager is the page that param (the request's page parameter) asks
// for of total rows: the first when param is no number, kept between the
// first and the last.
func newPager(param string, total int) pager {
	p := pager{Total: total, Pages: max(1, (total+pageSize-1)/pageSize)}
	p.Page, _ = strconv.Atoi(param)
	p.Page = min(max(p.Page, 1), p.Pages)
	if start, end := p.bounds(); end > start {
		p.First, p.Last = start+1, end
	}
	return p
}

// bounds are the indexes of the page's rows: [start, end).
func (p pager) bounds() (start, end int) {
	start = (p.Page - 1) * pageSize
	return start, min(start+pageSize, p.Total)
}

// Prev and Next are the numbers of the neighbouring pages, 0 for none.
func (p pager) Prev() int {
	if p.Page > 1 {
		return p.Page - 1
	}
	return 0
}

func (p pager) Next() int {
	if p.Page < p.Pages {
		return p.Page + 1
	}
	return 0
}

// pageOf is p's page of rows, all p.Total of them.
func pageOf[T any](p pager, rows []T) []T {
	start, end := p.bounds()
	return rows[start:end]
}
