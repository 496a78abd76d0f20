package ui

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	helmv2 "github.com/ferrycd/ferry/api/helm/v2"
	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
)

// graphOf builds the graph of objs, as the page reads them from the cache.
func graphOf(t *testing.T, objs ...conditioned) *graph {
	t.Helper()
	all := map[*kind][]row{}
	for _, o := range objs {
		k := kindOf(t, o)
		all[k] = append(all[k], rowOf(k, o))
	}
	return buildGraph(all, nil)
}

func gitRepo(ns, name string) *sourcev1.GitRepository {
	return &sourcev1.GitRepository{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
}

// ks is a Kustomization of the GitRepository repo in ns, depending on
// deps ("name" or "Kind/name") and having applied the inventory IDs.
func ks(ns, name, repo string, deps []string, applied ...string) *kustomizev1.Kustomization {
	k := &kustomizev1.Kustomization{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       kustomizev1.KustomizationSpec{SourceRef: kustomizev1.CrossNamespaceSourceReference{Kind: sourcev1.GitRepositoryKind, Name: repo}},
	}
	for _, d := range deps {
		ref := kustomizev1.DependencyReference{Name: d}
		if kind, name, ok := strings.Cut(d, "/"); ok {
			ref = kustomizev1.DependencyReference{Kind: kind, Name: name}
		}
		k.Spec.DependsOn = append(k.Spec.DependsOn, ref)
	}
	if applied != nil {
		k.Status.Inventory = &kustomizev1.ResourceInventory{}
		for _, id := range applied {
			k.Status.Inventory.Entries = append(k.Status.Inventory.Entries, kustomizev1.ResourceRef{ID: id, Version: "v1"})
		}
	}
	return k
}

// hr is a HelmRelease of the HelmChart chart in ns, depending on deps.
func hr(ns, name, chart string, deps ...helmv2.DependencyReference) *helmv2.HelmRelease {
	return &helmv2.HelmRelease{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: helmv2.HelmReleaseSpec{
			ChartRef:  &helmv2.CrossNamespaceSourceReference{Kind: sourcev1.HelmChartKind, Name: chart},
			DependsOn: deps,
		},
	}
}

// columns are the laid out graph's node IDs with their columns.
func columns(g *graph) map[string]int {
	out := map[string]int{}
	for id, n := range g.nodes {
		out[id] = n.Col
	}
	return out
}

// hasEdge says g has the edge from -> to of type typ.
func hasEdge(g *graph, from, to, typ string) bool {
	for _, e := range g.edges {
		if e.From == from && e.To == to && e.Type == typ {
			return true
		}
	}
	return false
}

func TestGraphLayersFollowDependsOn(t *testing.T) {
	g := graphOf(t,
		gitRepo("apps", "repo"),
		&sourcev1.HelmRepository{ObjectMeta: metav1.ObjectMeta{Namespace: "apps", Name: "charts"}},
		&sourcev1.HelmChart{ObjectMeta: metav1.ObjectMeta{Namespace: "apps", Name: "redis"},
			Spec: sourcev1.HelmChartSpec{SourceRef: sourcev1.LocalHelmChartSourceReference{Kind: sourcev1.HelmRepositoryKind, Name: "charts"}}},
		// root applies c and itself; c depends on b, b on a, and the
		// HelmRelease on the Kustomization b (across kinds).
		ks("apps", "root", "repo", nil, "apps_root_kustomize.toolkit.fluxcd.io_Kustomization", "apps_c_kustomize.toolkit.fluxcd.io_Kustomization", "apps_web_apps_Deployment", "apps_api_apps_Deployment"),
		ks("apps", "a", "repo", nil),
		ks("apps", "b", "repo", []string{"a"}),
		ks("apps", "c", "repo", []string{"b"}),
		hr("apps", "redis", "redis", helmv2.DependencyReference{Kind: kustomizev1.KustomizationKind, Name: "b"}),
		// A dependency the cache does not hold.
		ks("apps", "orphan", "gone", []string{"missing"}),
	)
	p, code := graphView(g, "", "")
	if code != http.StatusOK || p.TooMany {
		t.Fatalf("graphView = %d, too many %v", code, p.TooMany)
	}
	col := columns(g)
	k := func(name string) string { return graphID("Kustomization", "apps", name) }
	for what, ok := range map[string]bool{
		"the HelmRepository in column 0":            col[graphID("HelmRepository", "apps", "charts")] == 0,
		"the GitRepository in column 0":             col[graphID("GitRepository", "apps", "repo")] == 0,
		"the HelmChart right of its HelmRepository": col[graphID("HelmChart", "apps", "redis")] == 1,
		"the appliers right of every source":        col[k("a")] == 2 && col[k("root")] == 2,
		"b right of a":                              col[k("b")] == col[k("a")]+1,
		"c right of b and of the summary of root":   col[k("c")] == col[k("b")]+1 && col[k("c")] > col[summaryID(k("root"))],
		"root's summary right of root":              col[summaryID(k("root"))] == col[k("root")]+1,
		"the HelmRelease right of b":                col[graphID("HelmRelease", "apps", "redis")] == col[k("b")]+1,
		"a missing dependency among the appliers":   col[k("missing")] == 2 && g.nodes[k("missing")].State == stateMissing,
		"a missing source among the sources":        col[graphID("GitRepository", "apps", "gone")] == 0,
	} {
		if !ok {
			t.Errorf("not %s: %v", what, col)
		}
	}
	for _, e := range []struct{ from, to, typ string }{
		{graphID("GitRepository", "apps", "repo"), k("a"), edgeSource},
		{graphID("HelmRepository", "apps", "charts"), graphID("HelmChart", "apps", "redis"), edgeSource},
		{graphID("HelmChart", "apps", "redis"), graphID("HelmRelease", "apps", "redis"), edgeSource},
		{k("a"), k("b"), edgeDepends},
		{k("b"), graphID("HelmRelease", "apps", "redis"), edgeDepends},
		{k("root"), summaryID(k("root")), edgeApplies},
		{summaryID(k("root")), k("c"), edgeApplies},
	} {
		if !hasEdge(g, e.from, e.to, e.typ) {
			t.Errorf("no %s edge %s -> %s", e.typ, e.from, e.to)
		}
	}
	if hasEdge(g, summaryID(k("root")), k("root"), edgeApplies) || len(p.Cycles) != 0 {
		t.Errorf("a Kustomization that applies itself is drawn as a cycle: %v", p.Cycles)
	}
	sum := g.nodes[summaryID(k("root"))]
	if got := strings.Join(sum.Lines, ", "); got != "2 Deployment, 2 Kustomization" || sum.Applied != 4 || !strings.Contains(sum.Tooltip(), "2 Deployment.apps, 2 Kustomization.kustomize.toolkit.fluxcd.io") {
		t.Errorf("root's summary = %q, %d objects", got, sum.Applied)
	}

	// The same graph gets the same drawing.
	again := graphOf(t, gitRepo("apps", "repo"), ks("apps", "a", "repo", nil), ks("apps", "b", "repo", []string{"a"}))
	other := graphOf(t, ks("apps", "b", "repo", []string{"a"}), ks("apps", "a", "repo", nil), gitRepo("apps", "repo"))
	p1, _ := graphView(again, "", "")
	p2, _ := graphView(other, "", "")
	if fmt.Sprint(drawing(p1)) != fmt.Sprint(drawing(p2)) {
		t.Errorf("the layout depends on the order of the objects:\n%v\n%v", drawing(p1), drawing(p2))
	}
}

// drawing is what a page draws: each node's place and each edge's path.
func drawing(p graphPage) []string {
	var out []string
	for _, n := range p.Nodes {
		out = append(out, fmt.Sprintf("%s@%d,%d", n.ID, n.X, n.Y))
	}
	for _, e := range p.Edges {
		out = append(out, e.From+">"+e.To+":"+e.D)
	}
	return out
}

func TestGraphCycleIsMarked(t *testing.T) {
	g := graphOf(t,
		gitRepo("apps", "repo"),
		ks("apps", "a", "repo", []string{"c"}),
		ks("apps", "b", "repo", []string{"a"}),
		ks("apps", "c", "repo", []string{"b"}),
		ks("apps", "d", "repo", []string{"c"}),
		// self depends on itself.
		ks("apps", "self", "repo", []string{"self"}),
	)
	p, _ := graphView(g, "", "")
	if len(p.Cycles) != 1 || !strings.Contains(p.Cycles[0], "Kustomization apps/a") || !strings.Contains(p.Cycles[0], "Kustomization apps/c") || strings.Count(p.Cycles[0], "→") != 3 {
		t.Errorf("cycles = %q, want a → b → c → a", p.Cycles)
	}
	for _, name := range []string{"a", "b", "c"} {
		if !g.nodes[graphID("Kustomization", "apps", name)].Cycle {
			t.Errorf("%s is not marked as on a cycle", name)
		}
	}
	if g.nodes[graphID("Kustomization", "apps", "d")].Cycle {
		t.Errorf("d, which depends on the cycle, is marked as on it")
	}
	cycleEdges := 0
	for _, e := range p.Edges {
		if e.Cycle {
			cycleEdges++
		}
	}
	if cycleEdges != 3 {
		t.Errorf("%d edges marked as a cycle's, want 3", cycleEdges)
	}
	// A dependsOn on itself is no edge and no cycle of the drawing.
	if hasEdge(g, graphID("Kustomization", "apps", "self"), graphID("Kustomization", "apps", "self"), edgeDepends) {
		t.Errorf("a loop edge is drawn")
	}
}

func TestGraphCap(t *testing.T) {
	var objs []conditioned
	for i := range maxGraphNodes {
		objs = append(objs, ks("big", fmt.Sprintf("k%03d", i), "repo", nil))
	}
	objs = append(objs, gitRepo("big", "repo"), gitRepo("small", "repo"), ks("small", "app", "repo", nil))
	g := graphOf(t, objs...)
	p, code := graphView(g, "", "")
	if code != http.StatusOK || !p.TooMany || p.Count != maxGraphNodes+3 || p.Nodes != nil {
		t.Errorf("over the cap: too many %v, count %d, %d nodes drawn", p.TooMany, p.Count, len(p.Nodes))
	}
	if got := fmt.Sprint(p.Namespaces); got != fmt.Sprintf("[{big %d} {small 2}]", maxGraphNodes+1) {
		t.Errorf("namespaces = %s", got)
	}
	p, _ = graphView(graphOf(t, objs...), "small", "")
	if p.TooMany || len(p.Nodes) != 2 {
		t.Errorf("namespace small: too many %v, %d nodes", p.TooMany, len(p.Nodes))
	}
	p, _ = graphView(graphOf(t, objs...), "", "Kustomization/big/k007")
	if p.TooMany || len(p.Nodes) != 2 {
		t.Errorf("focus on one of the many: too many %v, %d nodes", p.TooMany, len(p.Nodes))
	}
}

func TestGraphFocus(t *testing.T) {
	objs := func() []conditioned {
		return []conditioned{
			gitRepo("apps", "repo"),
			gitRepo("infra", "other"),
			ks("apps", "root", "repo", nil, "apps_b_kustomize.toolkit.fluxcd.io_Kustomization"),
			ks("apps", "a", "repo", nil),
			ks("apps", "b", "repo", []string{"a"}, "apps_web_apps_Deployment", "apps_child_kustomize.toolkit.fluxcd.io_Kustomization"),
			ks("apps", "child", "repo", nil),
			ks("apps", "c", "repo", []string{"b"}),
			// Reads the same source, is not connected otherwise.
			ks("apps", "unrelated", "repo", nil),
			// In another namespace, depends on a across namespaces.
			ks("infra", "x", "other", []string{"Kustomization/a"}),
		}
	}
	k := func(name string) string { return graphID("Kustomization", "apps", name) }
	p, code := graphView(graphOf(t, objs()...), "", "kustomization/apps/b")
	if code != http.StatusOK {
		t.Fatalf("focus = %d: %s", code, p.NotFound)
	}
	got := map[string]bool{}
	for _, n := range p.Nodes {
		got[n.ID] = true
	}
	for _, id := range []string{graphID("GitRepository", "apps", "repo"), k("root"), summaryID(k("root")), k("a"), k("b"), summaryID(k("b")), k("child"), k("c")} {
		if !got[id] {
			t.Errorf("focus on b lacks %s", id)
		}
	}
	for _, id := range []string{k("unrelated"), graphID("Kustomization", "infra", "x"), graphID("GitRepository", "infra", "other")} {
		if got[id] {
			t.Errorf("focus on b holds %s", id)
		}
	}

	// The namespace filter keeps a dependency in another namespace.
	objsX := objs()
	objsX[8].(*kustomizev1.Kustomization).Spec.DependsOn[0].Namespace = "apps"
	p, _ = graphView(graphOf(t, objsX...), "infra", "")
	got = map[string]bool{}
	for _, n := range p.Nodes {
		got[n.ID] = true
	}
	if len(got) != 4 || !got[k("a")] || !got[graphID("GitRepository", "apps", "repo")] || !got[graphID("GitRepository", "infra", "other")] {
		t.Errorf("namespace infra = %v, want x, its source, a and a's source", got)
	}

	for focus, want := range map[string]string{
		"Kustomization/apps/nope": "Kustomization apps/nope is not in the graph",
		"apps/b":                  "is not Kind/namespace/name",
		"Provider/apps/b":         `the graph shows no kind "Provider"`,
	} {
		p, code := graphView(graphOf(t, objs()...), "", focus)
		if code != http.StatusNotFound || !strings.Contains(p.NotFound, want) {
			t.Errorf("focus %q = %d %q, want 404 %q", focus, code, p.NotFound, want)
		}
	}
}

func TestGraphHidesWhatTheUserMayNotSee(t *testing.T) {
	app := ks("apps", "a", "repo", nil)
	app.Spec.SourceRef.Namespace = "infra"
	// The rows are those the user may see (Server.rows filters them);
	// the graph names the hidden source without saying whether it exists.
	all := map[*kind][]row{kindNamed("Kustomization"): {rowOf(kindNamed("Kustomization"), app)}}
	g := buildGraph(all, func(kind, ns string) bool { return ns != "infra" })
	n := g.nodes[graphID("GitRepository", "infra", "repo")]
	if n == nil || n.State != stateHidden || n.Path != "" || strings.Contains(n.Message, "not found") {
		t.Errorf("the hidden source = %+v, want a node of state hidden, unlinked, not said to be missing", n)
	}
	if got := fmt.Sprint(g.namespaces()); got != "[{apps 1}]" {
		t.Errorf("namespaces = %s, want only apps", got)
	}
}
