package uibrowser

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// press types keys into the page as key presses, outside any input.
func (tb *tab) press(keys string) {
	tb.t.Helper()
	if err := chromedp.Do(tb.ctx, chromedp.KeyEvent(keys)); err != nil {
		tb.t.Fatalf("pressing %q: %v", keys, err)
	}
}

// loaded waits until the page's scripts have run (keys.js adds the theme
// button once the document is parsed), so that keys reach its listeners
// and not the page before.
func loaded(tb *tab) {
	tb.t.Helper()
	tb.waitFor("the page's scripts", func() (bool, string) {
		return eval[bool](tb, `document.readyState === "complete" && !!document.querySelector("button.theme")`), "loading"
	})
}

// TestKeyboard drives the UI from the keyboard alone: ? lists the
// shortcuts, / goes to the search box, j and Enter open a row of a list,
// g k jumps to the Kustomizations, and t switches the theme, which a new
// page keeps.
func TestKeyboard(t *testing.T) {
	u := newUI(t)
	f := env.NewFixture(t, appFiles("info"))
	gitRepository(f)
	kustomization(f, "api", "./deploy")
	ready(f, "api")

	tb := newTab(t)
	tb.open(u.Admin + "/k/Kustomization?ns=" + f.NS)
	tb.waitText("main table.rows", "api")
	loaded(tb)

	tb.press("?")
	tb.waitFor("the shortcut list open", func() (bool, string) {
		return eval[bool](tb, `!!document.querySelector("dialog.keys-help[open]")`), "closed"
	})
	if help := tb.text("dialog.keys-help"); !strings.Contains(help, "next / previous row") {
		t.Errorf("the shortcut list is %q", help)
	}
	tb.press("\x1b") // Esc closes the dialog.
	tb.waitFor("the shortcut list closed", func() (bool, string) {
		return eval[bool](tb, `!document.querySelector("dialog.keys-help[open]")`), "open"
	})

	tb.press("/")
	if id := eval[string](tb, `document.activeElement ? document.activeElement.id : ""`); id != "q" {
		t.Errorf("/ focused %q, want the search box", id)
	}
	eval[bool](tb, `document.activeElement.blur(), true`)

	tb.press("j")
	tb.waitHas("main table.rows tbody tr.selected")
	tb.press("\r")
	tb.waitFor("the selected row's page", func() (bool, string) {
		path := eval[string](tb, "location.pathname")
		return path == "/o/Kustomization/"+f.NS+"/api", path
	})
	loaded(tb)

	tb.press("gk")
	tb.waitFor("the Kustomization list", func() (bool, string) {
		path := eval[string](tb, "location.pathname")
		return path == "/k/Kustomization", path
	})
	loaded(tb)

	before := eval[string](tb, `document.documentElement.getAttribute("data-theme") || ""`)
	tb.press("t")
	after := eval[string](tb, `document.documentElement.getAttribute("data-theme") || ""`)
	if after == before || (after != "dark" && after != "light") {
		t.Fatalf("t switched the theme from %q to %q", before, after)
	}
	bg := eval[string](tb, `getComputedStyle(document.body.parentElement).backgroundColor`)
	tb.open(u.Admin + "/")
	if got := eval[string](tb, `document.documentElement.getAttribute("data-theme") || ""`); got != after {
		t.Errorf("the next page's theme is %q, want %q", got, after)
	}
	if got := eval[string](tb, `getComputedStyle(document.body.parentElement).backgroundColor`); got != bg {
		t.Errorf("the next page's background is %s, the chosen theme's %s", got, bg)
	}
}
