package uibrowser

import (
	"net/http"
	"strings"
	"testing"
)

// TestTrace fills the trace form for a ConfigMap a Kustomization applied
// and reads the chain: the ConfigMap, the Kustomization that manages it
// (state, revision, path) and its GitRepository (URL, ref, revision), each
// linked to its page; the inventory's link of the same ConfigMap traces it
// too. A ConfigMap that does not exist is a 404 saying so.
func TestTrace(t *testing.T) {
	u := newUI(t)
	f := env.NewFixture(t, appFiles("info"))
	gitRepository(f)
	kustomization(f, "api", "./deploy")
	ready(f, "api")

	tb := NewTab(t)
	tb.Open(u.Admin + "/")
	loaded(tb)
	tb.Press("gt") // the trace page's shortcut
	tb.waitPath("/trace")
	tb.TypeInto("main input[name=kind]", "ConfigMap")
	tb.TypeInto("main input[name=namespace]", f.NS)
	tb.TypeInto("main input[name=name]", "web-settings")
	if status := tb.Submit("main form.filters button[type=submit]"); status != http.StatusOK {
		t.Fatalf("the trace answered %d\n%s", status, tb.Describe())
	}
	// innerText has the badges' text-transform: READY.
	checkChain := func() {
		t.Helper()
		steps := tb.Texts("main ol.trace > li")
		if len(steps) != 2 {
			t.Fatalf("the chain has %d steps, want the ConfigMap and its Kustomization (with its source): %q", len(steps), steps)
		}
		for i, want := range [][]string{
			{"ConfigMap " + f.NS + "/web-settings", "v1", "kustomize.toolkit.fluxcd.io/name", "api"},
			{"managed by", "Kustomization " + f.NS + "/api", "READY", "Applied revision: " + f.Head(), "./deploy", "GitRepository " + f.NS + "/app"},
		} {
			for _, w := range want {
				if !strings.Contains(steps[i], w) {
					t.Errorf("step %d of the chain does not say %q: %q", i+1, w, steps[i])
				}
			}
		}
		// The source, inside the Kustomization's step.
		for _, w := range []string{f.URL, "main", f.Head()} {
			if !strings.Contains(steps[1], w) {
				t.Errorf("the source in the chain does not say %q: %q", w, steps[1])
			}
		}
	}
	checkChain()

	// The Kustomization's link opens its page, whose inventory traces the
	// ConfigMap again.
	tb.Click("main ol.trace > li:nth-child(2) h2 a")
	tb.waitPath("/o/Kustomization/" + f.NS + "/api")
	tb.Click(`section[aria-labelledby=inventory-h] a[href*="name=web-settings"]`)
	tb.WaitText("main ol.trace", "managed by")
	if q := Eval[string](tb, "location.search"); !strings.Contains(q, "kind=ConfigMap") || !strings.Contains(q, "apiVersion=v1") {
		t.Errorf("the inventory's trace link is %q", q)
	}
	checkChain()
	tb.Click("main ol.trace > li:nth-child(2) dd a")
	tb.waitPath("/o/GitRepository/" + f.NS + "/app")

	// A missing object is said to be missing.
	tb.Open(u.Admin + "/trace?kind=ConfigMap&namespace=" + f.NS + "&name=nope")
	if msg := tb.Text("main p.trace-error"); !strings.Contains(msg, "ConfigMap "+f.NS+"/nope does not exist") {
		t.Errorf("the trace of a missing ConfigMap says %q", msg)
	}
	if tb.Has("main ol.trace") {
		t.Error("the trace of a missing ConfigMap shows a chain")
	}
}
