package uibrowser

import (
	"strings"
	"testing"
)

// TestObjectPage checks a Ready Kustomization's page: its conditions, its
// events, the inventory of what it applied and its source; and a failing
// one's: the Ready condition's reason and message.
func TestObjectPage(t *testing.T) {
	u := newUI(t)
	f := env.NewFixture(t, appFiles("info"))
	gitRepository(f)
	kustomization(f, "api", "./deploy")
	kustomization(f, "web", missingPath)
	ready(f, "api")
	failed(f, "web")

	tb := NewTab(t)
	tb.Open(u.Admin + "/o/Kustomization/" + f.NS + "/api")
	if h := tb.Text("main h1"); !strings.Contains(h, "Kustomization") || !strings.Contains(h, f.NS+"/api") {
		t.Errorf("the heading is %q", h)
	}
	const conditions, events = "section[aria-labelledby=conditions-h] table", "section[aria-labelledby=events-h] table"
	tb.WaitRow(conditions, "Ready", "True", "ReconciliationSucceeded", "Applied revision: "+f.Head())
	tb.WaitText(events, "ReconciliationSucceeded", "Reconciliation finished")
	inventory := tb.WaitText("section[aria-labelledby=inventory-h]", "Inventory (2 objects)", "ConfigMap")
	for _, name := range []string{f.NS + "/web-settings", f.NS + "/web-flags"} {
		if !strings.Contains(inventory, name) {
			t.Errorf("the inventory does not list %s: %q", name, inventory)
		}
	}
	if src := tb.Text("section[aria-labelledby=sources-h]"); !strings.Contains(src, "GitRepository "+f.NS+"/app") {
		t.Errorf("the source is %q", src)
	}
	if spec := tb.Text("section[aria-labelledby=spec-h] pre"); !strings.Contains(spec, "path: ./deploy") {
		t.Errorf("the spec is %q", spec)
	}

	// The source's page links back.
	tb.Click("section[aria-labelledby=sources-h] a")
	tb.WaitText("section[aria-labelledby=consumers-h]", f.NS+"/api", f.NS+"/web")

	tb.Open(u.Admin + "/o/Kustomization/" + f.NS + "/web")
	tb.WaitRow(conditions, "Ready", "False", "ArtifactFailed", "kustomization path not found")
	tb.WaitText(events, "Warning", "ArtifactFailed")
	if msg := tb.Text("main p.ready-message"); !strings.Contains(msg, "kustomization path not found") {
		t.Errorf("the page's message is %q", msg)
	}
}
