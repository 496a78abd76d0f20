package uibrowser

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestBrowser checks the harness itself on a page of its own: Chromium
// starts, loads a page from loopback, runs its script, reports what the
// page logs and takes a screenshot.
func TestBrowser(t *testing.T) {
	tb := newTab(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, `<!doctype html><title>harness</title><h1 id="h">loaded</h1><script src="/s.js"></script>`)
		case "/s.js":
			w.Header().Set("Content-Type", "text/javascript")
			fmt.Fprint(w, `document.getElementById("h").textContent += " and scripted"; console.error("from the page");`)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()

	tb.open(srv.URL)
	if got := tb.waitText("#h", "scripted"); got != "loaded and scripted" {
		t.Errorf("heading = %q", got)
	}
	if title := eval[string](tb, "document.title"); title != "harness" {
		t.Errorf("title = %q", title)
	}
	tb.waitFor("the page's console message", func() (bool, string) {
		for _, m := range tb.takeMessages() {
			if m.Text == "from the page" {
				return true, ""
			}
		}
		return false, "not yet"
	})
	tb.capture()
}
