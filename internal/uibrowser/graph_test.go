package uibrowser

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
)

// textContent returns the text of the first element matching the CSS
// selector, SVG elements included (which have no innerText), or "".
func (tb *Tab) textContent(selector string) string {
	tb.t.Helper()
	return Eval[string](tb, fmt.Sprintf(`(document.querySelector(%s)?.textContent ?? "")`, js(selector)))
}

// attr returns the attribute name of the first element matching the CSS
// selector, or "".
func (tb *Tab) attr(selector, name string) string {
	tb.t.Helper()
	return Eval[string](tb, fmt.Sprintf(`(document.querySelector(%s)?.getAttribute(%s) ?? "")`, js(selector), js(name)))
}

// waitPath waits until the tab shows the page at path (and query).
func (tb *Tab) waitPath(want string) {
	tb.t.Helper()
	tb.WaitFor("the page "+want, func() (bool, string) {
		got := Eval[string](tb, "location.pathname + location.search")
		return got == want && Eval[bool](tb, `document.readyState === "complete"`), got
	})
}

// TestGraph draws a reconciled fleet: the GitRepository, the Kustomization
// infra, apps depending on it and broken failing, each a box linked to its
// page in its state's colour with its Ready message as the tooltip, the
// dependsOn edge among the others; clicking a box opens its page, whose
// "Show in graph" link draws its component only.
func TestGraph(t *testing.T) {
	u := newUI(t)
	f := env.NewFixture(t, appFiles("info"))
	gitRepository(f)
	kustomization(f, "infra", "./deploy")
	ready(f, "infra")
	kustomization(f, "apps", "./deploy", "infra")
	kustomization(f, "broken", missingPath)
	ready(f, "apps")
	failed(f, "broken")

	tb := NewTab(t)
	tb.Open(u.Admin + "/graph?ns=" + f.NS)
	node := func(kind, name string) string {
		return fmt.Sprintf(`svg a.g-node[href="/o/%s/%s/%s"]`, kind, f.NS, name)
	}
	tb.WaitHas(node("Kustomization", "broken"))
	for _, n := range []struct{ kind, name, state, tooltip string }{
		{"GitRepository", "app", "state-ready", "stored artifact for revision"},
		{"Kustomization", "infra", "state-ready", "Applied revision: " + f.Head()},
		{"Kustomization", "apps", "state-ready", "Applied revision: " + f.Head()},
		{"Kustomization", "broken", "state-failing", "kustomization path not found"},
	} {
		sel := node(n.kind, n.name)
		if class := tb.attr(sel, "class"); !strings.Contains(class, n.state) {
			t.Errorf("the box of %s %s has the classes %q, want %s", n.kind, n.name, class, n.state)
		}
		if label := tb.textContent(sel + " text.g-name"); label != f.NS+"/"+n.name {
			t.Errorf("the box of %s %s is labelled %q", n.kind, n.name, label)
		}
		if tip := tb.textContent(sel + " > title"); !strings.Contains(tip, n.tooltip) {
			t.Errorf("the tooltip of %s %s is %q, want it to hold %q", n.kind, n.name, tip, n.tooltip)
		}
	}
	if s := tb.textContent(fmt.Sprintf(`svg a.g-node[href="/o/Kustomization/%s/infra#inventory-h"] text.g-kind`, f.NS)); s != "applies 2 objects" {
		t.Errorf("infra's summary says %q, want applies 2 objects", s)
	}
	edges := Eval[[]string](tb, `Array.from(document.querySelectorAll("svg path.g-edge-depends > title"), e => e.textContent)`)
	want := "Kustomization " + f.NS + "/apps depends on Kustomization " + f.NS + "/infra"
	if len(edges) != 1 || edges[0] != want {
		t.Errorf("the dependsOn edges are %q, want %q", edges, want)
	}
	if n := Eval[int](tb, `document.querySelectorAll("svg path.g-edge-source").length`); n != 3 {
		t.Errorf("%d edges from the source, want one per Kustomization", n)
	}

	// A box opens its object's page, which links to its own graph.
	tb.Click(node("Kustomization", "apps"))
	tb.waitPath("/o/Kustomization/" + f.NS + "/apps")
	tb.WaitText("main h1", f.NS+"/apps")
	tb.Click(`main p.see-also a[href^="/graph?focus="]`)
	tb.waitPath("/graph?focus=" + url.QueryEscape("Kustomization/"+f.NS+"/apps"))
	tb.WaitHas(node("Kustomization", "apps"))
	if v := Eval[string](tb, `document.querySelector("input[name=focus]").value`); v != "Kustomization/"+f.NS+"/apps" {
		t.Errorf("the focus field holds %q", v)
	}
	for _, n := range []string{"infra", "apps"} {
		if !tb.Has(node("Kustomization", n)) {
			t.Errorf("the graph of apps has no box of %s", n)
		}
	}
	if !tb.Has(node("GitRepository", "app")) {
		t.Error("the graph of apps has no box of its source")
	}
	if tb.Has(node("Kustomization", "broken")) {
		t.Error("the graph of apps shows broken, which only shares its source")
	}
}
