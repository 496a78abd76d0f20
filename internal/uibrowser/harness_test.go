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
	tb := NewTab(t)
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

	tb.Open(srv.URL)
	if got := tb.WaitText("#h", "scripted"); got != "loaded and scripted" {
		t.Errorf("heading = %q", got)
	}
	if title := Eval[string](tb, "document.title"); title != "harness" {
		t.Errorf("title = %q", title)
	}
	tb.WaitFor("the page's console message", func() (bool, string) {
		for _, m := range tb.TakeMessages() {
			if m.Text == "from the page" {
				return true, ""
			}
		}
		return false, "not yet"
	})
	tb.Capture()
}
