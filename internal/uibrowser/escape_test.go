package uibrowser

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
)

// scriptPath is a Kustomization path that does not exist and that the
// Ready message repeats: markup that would set window.ferryXSS if a page
// let it through.
const scriptPath = `./<script>window.ferryXSS=1</script><img src=x onerror="window.ferryXSS=2">`

// TestMessageEscaped checks that a message holding markup is shown as
// text on the overview, the list, the object page (also after a live
// update swapped it in) and the search page, and that none of it ran.
func TestMessageEscaped(t *testing.T) {
	u := newUI(t)
	f := env.NewFixture(t, appFiles("info"))
	gitRepository(f)
	kustomization(f, "xss", scriptPath)
	failed(f, "xss")

	tb := NewTab(t)
	check := func(where, selector string) {
		t.Helper()
		tb.WaitText(selector, "<script>window.ferryXSS=1</script>", `<img src=x onerror="window.ferryXSS=2">`)
		if v := Eval[string](tb, `String(window.ferryXSS)`); v != "undefined" {
			t.Errorf("%s: the message's script ran (window.ferryXSS = %s)", where, v)
		}
		// Escaped, not merely blocked by the Content-Security-Policy:
		// the page has only its own scripts and no image.
		scripts := Eval[[]string](tb, `Array.from(document.scripts, s => s.src)`)
		if len(scripts) != 2 || !strings.HasSuffix(scripts[0], "/static/live.js") || !strings.HasSuffix(scripts[1], "/static/keys.js") {
			t.Errorf("%s: the page has the scripts %q, want live.js and keys.js only", where, scripts)
		}
		if n := Eval[int](tb, `document.images.length`); n != 0 {
			t.Errorf("%s: the message became %d images", where, n)
		}
	}
	obj := "/o/Kustomization/" + f.NS + "/xss"
	tb.Open(u.Admin + "/")
	check("the overview", "table.failing tr:has(a[href='"+obj+"'])")
	tb.Open(u.Admin + "/k/Kustomization?ns=" + f.NS)
	check("the list", "table.rows tbody")
	tb.Open(u.Admin + obj)
	check("the object page", "p.ready-message")
	check("the spec", "section[aria-labelledby=spec-h] pre")

	// A live update swaps the main region in with innerHTML: still text.
	Eval[bool](tb, `window.ferryNotReloaded = true`)
	f.RequestReconcile(&kustomizev1.Kustomization{}, "xss") // a new event, and lastHandledReconcileAt
	tb.WaitText("main dl.fields", "lastHandledReconcileAt")
	if !Eval[bool](tb, `window.ferryNotReloaded === true`) {
		t.Fatal("the object page was reloaded, not updated")
	}
	check("the object page after a live update", "p.ready-message")

	// The query is echoed as text.
	tb.Open(u.Admin + "/search?q=" + url.QueryEscape(`<script>window.ferryXSS=3</script>`))
	tb.WaitText("main", "window.ferryXSS=3")
	if v := Eval[string](tb, `String(window.ferryXSS)`); v != "undefined" {
		t.Errorf("the search page's query ran (window.ferryXSS = %s)", v)
	}
	if q := Eval[string](tb, `document.getElementById("q").value`); q != `<script>window.ferryXSS=3</script>` {
		t.Errorf("the search box holds %q", q)
	}
}

// TestContentSecurityPolicy checks that every page carries a policy that
// allows only the UI's own script, and that the browser enforces it: an
// inline script and an inline event handler put into the page do not run,
// and the browser reports both.
func TestContentSecurityPolicy(t *testing.T) {
	u := newUI(t)
	for _, path := range []string{"/", "/k/Kustomization", "/search?q=x", "/o/Kustomization/none/none", "/static/live.js"} {
		resp, err := http.Get(u.Admin + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		csp := resp.Header.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'none'", "script-src 'self'", "frame-ancestors 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("GET %s: the policy %q lacks %s", path, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("GET %s: the policy %q allows inline script", path, csp)
		}
	}

	tb := NewTab(t)
	tb.Open(u.Admin + "/")
	tb.WaitText("#live-status", "live") // the UI's own script runs
	Eval[bool](tb, `(() => {
		window.ferryViolations = [];
		document.addEventListener("securitypolicyviolation", e => window.ferryViolations.push(e.violatedDirective));
		const s = document.createElement("script");
		s.textContent = "window.ferryInline = 1";
		document.body.appendChild(s);
		const b = document.createElement("button");
		b.setAttribute("onclick", "window.ferryHandler = 1");
		document.body.appendChild(b);
		b.click();
		return true;
	})()`)
	tb.WaitFor("the browser's reports of the violations", func() (bool, string) {
		v := Eval[[]string](tb, `window.ferryViolations`)
		return len(v) >= 2, strings.Join(v, ", ")
	})
	if v := Eval[string](tb, `String(window.ferryInline) + " " + String(window.ferryHandler)`); v != "undefined undefined" {
		t.Errorf("inline script ran: window.ferryInline, window.ferryHandler = %s", v)
	}
	// The console reports them too; they are this test's, not the page's.
	var reported []string
	tb.WaitFor("the console's reports of the violations", func() (bool, string) {
		for _, m := range tb.TakeMessages() {
			if m.Source == "security" && strings.Contains(m.Text, "Content Security Policy") {
				reported = append(reported, m.Text)
			}
		}
		return len(reported) >= 2, strings.Join(reported, "\n")
	})
}
