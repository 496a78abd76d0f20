package uibrowser

import (
	"strings"
	"testing"
)

// TestOverviewFailingFirst checks that the overview lists a failing
// Kustomization with its reason and message, and not a Ready one, ahead
// of the counts, and that the list sorted by status puts the failing one
// before the Ready one (whose name sorts first).
func TestOverviewFailingFirst(t *testing.T) {
	u := newUI(t)
	f := env.NewFixture(t, appFiles("info"))
	gitRepository(f)
	kustomization(f, "api", "./deploy")
	kustomization(f, "web", missingPath)
	ready(f, "api")
	failed(f, "web")

	tb := NewTab(t)
	tb.Open(u.Admin + "/")
	link := "a[href='/o/Kustomization/" + f.NS + "/web']"
	row := tb.WaitText("table.failing tr:has("+link+")", "ArtifactFailed", "kustomization path not found")
	if !strings.Contains(row, f.NS+"/web") {
		t.Errorf("the failing row does not name the object: %q", row)
	}
	if got := tb.Texts("table.failing a[href='/o/Kustomization/" + f.NS + "/api']"); len(got) != 0 {
		t.Errorf("the Ready Kustomization is listed as failing: %q", got)
	}
	// The failing objects come before the counts.
	order := Eval[[]string](tb, `Array.from(document.querySelectorAll("main h2"), h => h.id)`)
	if len(order) < 2 || order[0] != "failing-h" {
		t.Errorf("the overview's sections are %q, want failing-h first", order)
	}
	for _, state := range []string{"failing", "ready"} {
		if tb.Text("table.counts a[href='/k/Kustomization?status="+state+"']") == "" {
			t.Errorf("the counts have no %s Kustomizations", state)
		}
	}

	// The list, worst first.
	tb.Open(u.Admin + "/k/Kustomization?sort=status&ns=" + f.NS)
	names := tb.Texts("table.rows tbody td:nth-child(2)")
	if strings.Join(names, " ") != "web api" {
		t.Errorf("sorted by status the list shows %q, want [web api]", names)
	}
	if msg := tb.Text("table.rows tbody tr.row-failing"); !strings.Contains(msg, "kustomization path not found") {
		t.Errorf("the failing row shows %q", msg)
	}
}
