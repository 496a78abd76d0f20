package uibrowser

import (
	"strings"
	"testing"
)

// loaded waits until the page's scripts have run (keys.js adds the theme
// button once the document is parsed), so that keys reach its listeners
// and not the page before.
func loaded(tb *Tab) {
	tb.t.Helper()
	tb.WaitFor("the page's scripts", func() (bool, string) {
		return Eval[bool](tb, `document.readyState === "complete" && !!document.querySelector("button.theme")`), "loading"
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

	tb := NewTab(t)
	tb.Open(u.Admin + "/k/Kustomization?ns=" + f.NS)
	tb.WaitText("main table.rows", "api")
	loaded(tb)

	tb.Press("?")
	tb.WaitFor("the shortcut list open", func() (bool, string) {
		return Eval[bool](tb, `!!document.querySelector("dialog.keys-help[open]")`), "closed"
	})
	if help := tb.Text("dialog.keys-help"); !strings.Contains(help, "next / previous row") {
		t.Errorf("the shortcut list is %q", help)
	}
	tb.Press("\x1b") // Esc closes the dialog.
	tb.WaitFor("the shortcut list closed", func() (bool, string) {
		return Eval[bool](tb, `!document.querySelector("dialog.keys-help[open]")`), "open"
	})

	tb.Press("/")
	if id := Eval[string](tb, `document.activeElement ? document.activeElement.id : ""`); id != "q" {
		t.Errorf("/ focused %q, want the search box", id)
	}
	Eval[bool](tb, `document.activeElement.blur(), true`)

	tb.Press("j")
	tb.WaitHas("main table.rows tbody tr.selected")
	tb.Press("\r")
	tb.WaitFor("the selected row's page", func() (bool, string) {
		path := Eval[string](tb, "location.pathname")
		return path == "/o/Kustomization/"+f.NS+"/api", path
	})
	loaded(tb)

	tb.Press("gk")
	tb.WaitFor("the Kustomization list", func() (bool, string) {
		path := Eval[string](tb, "location.pathname")
		return path == "/k/Kustomization", path
	})
	loaded(tb)

	before := Eval[string](tb, `document.documentElement.getAttribute("data-theme") || ""`)
	tb.Press("t")
	after := Eval[string](tb, `document.documentElement.getAttribute("data-theme") || ""`)
	if after == before || (after != "dark" && after != "light") {
		t.Fatalf("t switched the theme from %q to %q", before, after)
	}
	bg := Eval[string](tb, `getComputedStyle(document.body.parentElement).backgroundColor`)
	tb.Open(u.Admin + "/")
	if got := Eval[string](tb, `document.documentElement.getAttribute("data-theme") || ""`); got != after {
		t.Errorf("the next page's theme is %q, want %q", got, after)
	}
	if got := Eval[string](tb, `getComputedStyle(document.body.parentElement).backgroundColor`); got != bg {
		t.Errorf("the next page's background is %s, the chosen theme's %s", got, bg)
	}
}
