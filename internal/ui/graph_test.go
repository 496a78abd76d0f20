package ui_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
)

// TestGraphPage draws a GitRepository and two Kustomizations, b
// depending on a, a having applied b, from the cache of a real API
// server.
func TestGraphPage(t *testing.T) {
	ns := env.NewNamespace(t, "graph")
	gitRepository(t, ns, "repo", metav1.ConditionTrue, "stored artifact", "main@sha1:abcdef0123456789abcdef0123456789abcdef01")
	kustomization(t, ns, "a", func(ks *kustomizev1.Kustomization) {
		ready("Applied revision: main@sha1:abcdef")(ks)
		ks.Status.Inventory = &kustomizev1.ResourceInventory{Entries: []kustomizev1.ResourceRef{
			{ID: ns + "_web_apps_Deployment", Version: "v1"},
			{ID: ns + "_b_kustomize.toolkit.fluxcd.io_Kustomization", Version: "v1"},
		}}
	})
	b := kustomization(t, ns, "b", func(ks *kustomizev1.Kustomization) {
		failing("Deployment/" + ns + "/api: <script>alert(2)</script>")(ks)
		ks.Status.Inventory = &kustomizev1.ResourceInventory{Entries: []kustomizev1.ResourceRef{
			{ID: ns + "_api_apps_Deployment", Version: "v1"},
			{ID: ns + "_api__Service", Version: "v1"},
		}}
	})
	// b depends on a, and on an object whose name is markup.
	b.Spec.DependsOn = []kustomizev1.DependencyReference{{Name: "a"}, {Name: "<script>"}}
	if err := env.Client.Update(t.Context(), b); err != nil {
		t.Fatal(err)
	}
	kustomization(t, ns, "other", ready("Applied"))
	srv := newUI(t, nil)

	resp, body := get(t, srv, "/graph?ns="+ns)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /graph = %d:\n%s", resp.StatusCode, body)
	}
	k := func(name string) string { return "Kustomization " + ns + "/" + name }
	mustContain(t, "the graph", body, "<svg", `href="/graph"`, `href="/trace"`,
		// a node per object, linked, in its state's class
		`href="/o/GitRepository/`+ns+`/repo"`, `href="/o/Kustomization/`+ns+`/a"`, `href="/o/Kustomization/`+ns+`/b"`,
		`class="g-node state-ready" href="/o/Kustomization/`+ns+`/a"`, `class="g-node state-failing" href="/o/Kustomization/`+ns+`/b"`,
		// the summaries of what each applied, linked to the inventory
		`href="/o/Kustomization/`+ns+`/a#inventory-h"`, "applies 2 objects", "1 Deployment", "1 Service", "(1 Deployment.apps, 1 Service)",
		// the edges, each of its own kind
		`class="g-edge g-edge-source"`, `class="g-edge g-edge-depends"`, `class="g-edge g-edge-applies"`,
		k("a")+" reads GitRepository "+ns+"/repo", k("b")+" depends on "+k("a"), k("a")+" applies "+k("b"),
		// the Ready message as the tooltip, escaped; the missing
		// dependency, named by markup, as text
		"Deployment/"+ns+"/api: &lt;script&gt;alert(2)&lt;/script&gt;", ns+"/&lt;script&gt;", "state-missing",
		`href="/o/Kustomization/`+ns+`/other"`)
	if strings.Contains(body, "<script>") {
		t.Errorf("markup from the cluster is not escaped:\n%s", body)
	}
	if strings.Contains(body, " style=") {
		t.Errorf("the graph uses a style attribute, which the CSP forbids:\n%s", body)
	}

	// The focus on b: its source, its dependency a (which applied it),
	// what it applied; not "other", which only shares the source.
	resp, body = get(t, srv, "/graph?focus="+url.QueryEscape("Kustomization/"+ns+"/b"))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /graph?focus = %d:\n%s", resp.StatusCode, body)
	}
	mustContain(t, "the focused graph", body, `href="/o/GitRepository/`+ns+`/repo"`, `href="/o/Kustomization/`+ns+`/a"`,
		`href="/o/Kustomization/`+ns+`/b#inventory-h"`, `value="Kustomization/`+ns+`/b"`)
	if strings.Contains(body, `href="/o/Kustomization/`+ns+`/other"`) {
		t.Errorf("the focus on b holds an unrelated Kustomization")
	}
	resp, body = get(t, srv, "/graph?focus="+url.QueryEscape("Kustomization/"+ns+"/nope"))
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("a focus on a missing object = %d, want 404", resp.StatusCode)
	}
	mustContain(t, "the graph of a missing focus", body, "Kustomization "+ns+"/nope is not in the graph")

	// The object page links to its graph.
	_, body = get(t, srv, "/o/Kustomization/"+ns+"/b")
	mustContain(t, "the object page", body, `href="/graph?focus=Kustomization%2F`+ns+`%2Fb"`, "Show in graph")
}
