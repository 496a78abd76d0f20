package ui

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"

	helmv2 "github.com/ferrycd/ferry/api/helm/v2"
	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
)

// The graph page draws what reads what: the sources on the left, then the
// Kustomizations and HelmReleases in columns by depth (a dependency left
// of its dependents), each applier followed by a summary of what it
// applied, and a child Kustomization or HelmRelease right of the summary
// that applied it. The layout is computed here, in Go, and drawn as inline
// SVG, so the page needs no script and no graph library.

// maxGraphNodes bounds the nodes drawn: above it the page asks for a
// filter instead, as a thousand boxes are no picture anyone can read.
const maxGraphNodes = 300

// The kinds of edge, also their CSS classes (g-edge-<type>).
const (
	edgeSource  = "source"  // a source to what reads it
	edgeDepends = "depends" // a dependency to its dependent (dependsOn)
	edgeApplies = "applies" // an applier to its summary, a summary to a child
)

// The drawing's measures, in SVG user units (pixels).
const (
	nodeW      = 220
	nodeH      = 44
	pointH     = 2 // the slot of an edge passing through a column
	lineH      = 16
	colGap     = 70
	rowGap     = 14
	margin     = 12
	maxLabel   = 30 // characters of a name line before it is cut
	maxSummary = 8  // kinds listed in a summary node before "more"
)

// stateMissing marks a node that stands for an object the graph names
// (a sourceRef, a dependsOn entry) but the cache does not hold;
// stateHidden one the user may not see (visible.go), named as the spec
// names it, neither linked nor checked.
const (
	stateMissing = "missing"
	stateHidden  = "hidden"
)

// gnode is one box of the graph.
type gnode struct {
	ID                    string
	Kind, Namespace, Name string
	// State is stateReady, stateFailing, stateProgressing, stateSuspended
	// or stateMissing; a summary node has the state of its applier.
	State string
	// Message is the Ready message (the tooltip).
	Message string
	// Path is the node's page; empty for a missing object.
	Path string
	// Source places the node in the source columns.
	Source bool
	// Lines are a summary node's counts per kind; nil for other nodes.
	Lines []string
	// Applied is the number of objects a summary node stands for.
	Applied int
	// Cycle marks a node on a dependsOn cycle.
	Cycle bool

	groups []string // a summary's counts per kind with the kinds' groups

	rank int // the kind's place in kinds, for a stable first order

	// The layout's results.
	Col, X, Y, H int
}

// W is the node's width.
func (n *gnode) W() int { return nodeW }

// Summary says the node is an applier's summary.
func (n *gnode) Summary() bool { return n.Lines != nil }

// Label is the node's second line, cut to fit the box.
func (n *gnode) Label() string { return cut(n.Namespace+"/"+n.Name, maxLabel) }

// KindLabel is the node's first line.
func (n *gnode) KindLabel() string {
	if n.Summary() {
		return fmt.Sprintf("applies %d objects", n.Applied)
	}
	return n.Kind
}

// Tooltip is the node's <title>: what it is, its state and message.
func (n *gnode) Tooltip() string {
	if n.Summary() {
		return fmt.Sprintf("what %s %s/%s applied: %d objects (%s)", n.Kind, n.Namespace, n.Name, n.Applied, strings.Join(n.groups, ", "))
	}
	t := fmt.Sprintf("%s %s/%s (%s)", n.Kind, n.Namespace, n.Name, n.State)
	if n.Cycle {
		t += ", on a dependsOn cycle"
	}
	if m := strings.Join(strings.Fields(n.Message), " "); m != "" {
		t += ": " + m
	}
	return t
}

// glines are a summary node's lines with their offsets.
type gline struct {
	Y    int
	Text string
}

// SummaryLines are the summary's lines, placed under its first line.
func (n *gnode) SummaryLines() []gline {
	out := make([]gline, len(n.Lines))
	for i, l := range n.Lines {
		out[i] = gline{Y: 36 + i*lineH, Text: cut(l, maxLabel)}
	}
	return out
}

// gedge is one arrow of the graph.
type gedge struct {
	From, To string
	// Type is edgeSource, edgeDepends or edgeApplies.
	Type string
	// Cycle marks an edge of a dependsOn cycle.
	Cycle bool
	// D is the SVG path, and Title what the arrow means.
	D, Title string
	// back marks an edge that closes a cycle: the layout ignores it.
	back bool
}

// graph is the nodes and edges, before and after the layout.
type graph struct {
	nodes map[string]*gnode
	edges []*gedge
	seen  map[string]bool // edges by from|to|type
	// cycles describe each dependsOn cycle found by the layout.
	cycles []string
	// width and height are the drawing's size after the layout.
	width, height int
	// visible says which objects the user may see, for the missing ones.
	visible Filter
}

func newGraph() *graph {
	return &graph{nodes: map[string]*gnode{}, seen: map[string]bool{}}
}

// graphID is a node's ID: "Kind/namespace/name".
func graphID(kind, ns, name string) string { return kind + "/" + ns + "/" + name }

// summaryID is the ID of the summary node of the applier id.
func summaryID(id string) string { return id + "#applied" }

// add adds n unless a node of its ID is there, and returns the node.
func (g *graph) add(n *gnode) *gnode {
	if old := g.nodes[n.ID]; old != nil {
		return old
	}
	g.nodes[n.ID] = n
	return n
}

// connect adds the edge from -> to of type typ, once; never a loop.
func (g *graph) connect(from, to, typ string) {
	key := from + "|" + to + "|" + typ
	if from == to || g.seen[key] {
		return
	}
	g.seen[key] = true
	g.edges = append(g.edges, &gedge{From: from, To: to, Type: typ})
}

// InGraph says whether the graph shows objects of the kind: the sources
// and what reads them.
func (k *kind) InGraph() bool { return k.source || k.sourceRefs != nil }

// GraphPath is the graph focused on the row's object, empty for a kind
// the graph does not show.
func (r row) GraphPath() string {
	if r.Kind == nil || !r.Kind.InGraph() {
		return ""
	}
	return "/graph?focus=" + url.QueryEscape(graphID(r.Kind.name, r.Namespace, r.Name))
}

// kindRank is k's place in kinds; unknown kinds come last.
func kindRank(name string) int {
	for i, k := range kinds {
		if k.name == name {
			return i
		}
	}
	return len(kinds)
}

// buildGraph makes the graph of the rows of every kind the graph shows:
// a node per object, an edge from each object's source (the first of its
// sourceRefs the cache holds, else a missing node for the one its spec
// names), from each dependsOn entry, and for each applier with an
// inventory a summary node of what it applied, with an edge to each child
// Kustomization or HelmRelease.
func buildGraph(all map[*kind][]row, visible Filter) *graph {
	g := newGraph()
	g.visible = visible
	// Add the objects first, so that a reference finds its node.
	for _, k := range kinds {
		if !k.InGraph() {
			continue
		}
		for _, r := range all[k] {
			g.add(&gnode{
				ID: graphID(k.name, r.Namespace, r.Name), Kind: k.name, Namespace: r.Namespace, Name: r.Name,
				State: r.State, Message: r.Message, Path: r.Path(), Source: k.source, rank: kindRank(k.name),
			})
		}
	}
	for _, k := range kinds {
		if !k.InGraph() {
			continue
		}
		for _, r := range all[k] {
			id := graphID(k.name, r.Namespace, r.Name)
			if k.sourceRefs != nil {
				if refs := k.sourceRefs(r.Object); len(refs) > 0 {
					g.connect(g.sourceNode(refs), id, edgeSource)
				}
			}
			for _, d := range dependenciesOf(r.Object) {
				g.connect(g.refNode(d, false), id, edgeDepends)
			}
			g.addSummary(k, r, id)
		}
	}
	return g
}

// sourceNode is the node of the first of refs the graph holds, else a
// missing node for the last, the one the spec names (a HelmRelease's
// HelmChart comes before its HelmRepository and is made by ferry).
func (g *graph) sourceNode(refs []ref) string {
	for _, r := range refs {
		if k := kindNamed(r.Kind); k != nil {
			if id := graphID(k.name, r.Namespace, r.Name); g.nodes[id] != nil {
				return id
			}
		}
	}
	return g.refNode(refs[len(refs)-1], true)
}

// refNode is the node of r, added as missing when the graph has none.
func (g *graph) refNode(r ref, source bool) string {
	name := r.Kind
	if k := kindNamed(r.Kind); k != nil {
		name = k.name
	}
	id := graphID(name, r.Namespace, r.Name)
	if g.nodes[id] == nil {
		state, msg := stateMissing, "not found"
		switch {
		case kindNamed(r.Kind) == nil:
			msg = "ferry's UI does not read " + r.Kind + " objects yet"
		case !g.visible.Allows(name, r.Namespace):
			state, msg = stateHidden, "not shown: you may not see it"
		}
		g.add(&gnode{ID: id, Kind: name, Namespace: r.Namespace, Name: r.Name, State: state, Message: msg, Source: source, rank: kindRank(name)})
	}
	return id
}

// dependenciesOf are a Kustomization's or HelmRelease's dependsOn
// entries, which may name the other kind (docs/api.md, dependsOn across
// kinds).
func dependenciesOf(obj conditioned) []ref {
	var out []ref
	switch o := obj.(type) {
	case *kustomizev1.Kustomization:
		for _, d := range o.Spec.DependsOn {
			out = append(out, ref{Kind: orDefault(d.Kind, kustomizev1.KustomizationKind), Namespace: orDefault(d.Namespace, o.Namespace), Name: d.Name})
		}
	case *helmv2.HelmRelease:
		for _, d := range o.Spec.DependsOn {
			out = append(out, ref{Kind: orDefault(d.Kind, helmv2.HelmReleaseKind), Namespace: orDefault(d.Namespace, o.Namespace), Name: d.Name})
		}
	}
	return out
}

// addSummary adds the summary node of what r applied, if it applied
// anything, and its edges to the child appliers the graph holds. An
// applier that lists itself (a bootstrap Kustomization applies its own
// object) gets no edge back to itself.
func (g *graph) addSummary(k *kind, r row, id string) {
	var inv *kustomizev1.ResourceInventory
	switch o := r.Object.(type) {
	case *kustomizev1.Kustomization:
		inv = o.Status.Inventory
	case *helmv2.HelmRelease:
		inv = o.Status.Inventory
	}
	if inv == nil || len(inv.Entries) == 0 {
		return
	}
	applied := inventoryOf(inv)
	sum := &gnode{
		ID: summaryID(id), Kind: k.name, Namespace: r.Namespace, Name: r.Name,
		State: r.State, Path: r.Path() + "#inventory-h", Applied: applied.Total, Lines: []string{}, rank: kindRank(k.name),
	}
	for i, grp := range applied.Groups {
		if i == maxSummary {
			sum.Lines = append(sum.Lines, fmt.Sprintf("and %d more kinds", len(applied.Groups)-maxSummary))
			break
		}
		// The kind without its group fits the box; the tooltip has both.
		short, _, _ := strings.Cut(grp.Kind, ".")
		sum.Lines = append(sum.Lines, fmt.Sprintf("%d %s", len(grp.Entries), short))
		sum.groups = append(sum.groups, fmt.Sprintf("%d %s", len(grp.Entries), grp.Kind))
	}
	g.add(sum)
	g.connect(id, sum.ID, edgeApplies)
	for _, grp := range applied.Groups {
		child := appliers[grp.Kind]
		if child == "" {
			continue
		}
		for _, e := range grp.Entries {
			if cid := graphID(child, e.Namespace, e.Name); cid != id && g.nodes[cid] != nil {
				g.connect(sum.ID, cid, edgeApplies)
			}
		}
	}
}

// appliers are the kinds that apply objects, by their inventory group
// kind ("Kustomization.kustomize.toolkit.fluxcd.io").
var appliers = map[string]string{
	kustomizev1.GroupVersion.WithKind(kustomizev1.KustomizationKind).GroupKind().String(): kustomizev1.KustomizationKind,
	helmv2.GroupVersion.WithKind(helmv2.HelmReleaseKind).GroupKind().String():             helmv2.HelmReleaseKind,
}

// subgraph is the graph of the nodes keep holds, and the edges between
// them.
func (g *graph) subgraph(keep map[string]bool) *graph {
	out := newGraph()
	for id := range keep {
		if n := g.nodes[id]; n != nil {
			out.nodes[id] = n
		}
	}
	for _, e := range g.edges {
		if keep[e.From] && keep[e.To] {
			out.connect(e.From, e.To, e.Type)
		}
	}
	return out
}

// edgesByNode are g's edges out of and into each node.
func (g *graph) edgesByNode() (out, in map[string][]*gedge) {
	out, in = map[string][]*gedge{}, map[string][]*gedge{}
	for _, e := range g.edges {
		out[e.From] = append(out[e.From], e)
		in[e.To] = append(in[e.To], e)
	}
	return out, in
}

// withSources adds to keep, for every node it holds, the sources it reads
// and theirs, so that no applier is drawn without its source.
func (g *graph) withSources(keep map[string]bool) {
	_, in := g.edgesByNode()
	var todo []string
	for id := range keep {
		todo = append(todo, id)
	}
	for len(todo) > 0 {
		id := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		for _, e := range in[id] {
			if e.Type == edgeSource && !keep[e.From] {
				keep[e.From] = true
				todo = append(todo, e.From)
			}
		}
	}
}

// inNamespace is the graph of the objects of namespace ns, with the
// sources and dependencies they read from other namespaces.
func (g *graph) inNamespace(ns string) *graph {
	keep := map[string]bool{}
	for id, n := range g.nodes {
		if n.Namespace == ns {
			keep[id] = true
		}
	}
	for _, e := range g.edges {
		if e.Type == edgeDepends && keep[e.To] {
			keep[e.From] = true
		}
	}
	g.withSources(keep)
	return g.subgraph(keep)
}

// focus is the graph of id's component: the node, everything upstream of
// it (its sources, its dependencies, what applied it, and theirs),
// everything downstream (what reads it, its dependents, what it applied,
// and theirs), and the sources of all of these. False when the graph has
// no node id.
func (g *graph) focus(id string) (*graph, bool) {
	if g.nodes[id] == nil {
		return nil, false
	}
	out, in := g.edgesByNode()
	keep := map[string]bool{id: true}
	walk := func(next func(string) []string) {
		todo := []string{id}
		seen := map[string]bool{id: true}
		for len(todo) > 0 {
			cur := todo[len(todo)-1]
			todo = todo[:len(todo)-1]
			for _, n := range next(cur) {
				if !seen[n] {
					seen[n], keep[n] = true, true
					todo = append(todo, n)
				}
			}
		}
	}
	walk(func(n string) []string {
		var ids []string
		for _, e := range in[n] {
			ids = append(ids, e.From)
		}
		return ids
	})
	walk(func(n string) []string {
		var ids []string
		for _, e := range out[n] {
			ids = append(ids, e.To)
		}
		return ids
	})
	g.withSources(keep)
	return g.subgraph(keep), true
}

// namespaces are the namespaces of g's objects with their counts, by name.
func (g *graph) namespaces() []nsCount {
	counts := map[string]int{}
	for _, n := range g.nodes {
		if n.State != stateMissing && n.State != stateHidden && !n.Summary() {
			counts[n.Namespace]++
		}
	}
	out := make([]nsCount, 0, len(counts))
	for ns, c := range counts {
		out = append(out, nsCount{Name: ns, Count: c})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// nsCount is one namespace of the filter.
type nsCount struct {
	Name  string
	Count int
}

// before is the first order of the nodes: by kind, namespace, name, a
// summary after its applier.
func before(a, b *gnode) bool {
	if a.rank != b.rank {
		return a.rank < b.rank
	}
	if a.Namespace != b.Namespace {
		return a.Namespace < b.Namespace
	}
	if a.Name != b.Name {
		return a.Name < b.Name
	}
	return a.ID < b.ID
}

// layout places every node: it finds the edges that close cycles (a
// depth-first search in a fixed order), marks the dependsOn cycles, gives
// each node the column of its longest path from the left (sources first,
// then the rest), orders each column by the barycentre of its neighbours
// to reduce crossings, and computes the coordinates and the edges' paths.
// The same graph always gets the same layout.
func (g *graph) layout() {
	nodes := make([]*gnode, 0, len(g.nodes))
	for _, n := range g.nodes {
		nodes = append(nodes, n)
	}
	sort.Slice(nodes, func(i, j int) bool { return before(nodes[i], nodes[j]) })
	index := map[string]int{}
	for i, n := range nodes {
		index[n.ID] = i
	}
	sort.SliceStable(g.edges, func(i, j int) bool {
		a, b := g.edges[i], g.edges[j]
		if index[a.From] != index[b.From] {
			return index[a.From] < index[b.From]
		}
		return index[a.To] < index[b.To]
	})
	out, in := g.edgesByNode()

	// Find the edges that close a cycle, and the topological order of
	// the rest.
	const (
		unseen = iota
		onPath
		done
	)
	mark := map[string]int{}
	var path []string
	var via []*gedge // via[i] is the edge into path[i]
	var finished []string
	var visit func(id string, e *gedge)
	visit = func(id string, enter *gedge) {
		mark[id] = onPath
		path, via = append(path, id), append(via, enter)
		for _, e := range out[id] {
			switch mark[e.To] {
			case unseen:
				visit(e.To, e)
			case onPath:
				e.back = true
				g.markCycle(path, via, e)
			}
		}
		path, via = path[:len(path)-1], via[:len(via)-1]
		mark[id] = done
		finished = append(finished, id)
	}
	for _, n := range nodes {
		if mark[n.ID] == unseen {
			visit(n.ID, nil)
		}
	}
	topo := make([]string, len(finished))
	for i, id := range finished {
		topo[len(finished)-1-i] = id
	}

	// Give each node its column: the sources by their longest path among
	// sources, then the others, right of every source.
	col := map[string]int{}
	place := func(id string, floor int) {
		c := floor
		for _, e := range in[id] {
			if !e.back {
				c = max(c, col[e.From]+1)
			}
		}
		col[id] = c
	}
	base := 0
	for _, id := range topo {
		if g.nodes[id].Source {
			place(id, 0)
			base = max(base, col[id]+1)
		}
	}
	for _, id := range topo {
		if !g.nodes[id].Source {
			place(id, base)
		}
	}
	ncols := 0
	for _, c := range col {
		ncols = max(ncols, c+1)
	}
	cols := make([][]*gnode, ncols)
	for _, n := range nodes {
		n.Col = col[n.ID]
		cols[n.Col] = append(cols[n.Col], n)
	}

	// Give an edge that spans columns a point in each column between,
	// which takes a slot of its own there, so that no edge runs behind a
	// box; link the neighbours column by column, through these points.
	links := map[string][]string{}
	link := func(a, b string) {
		links[a] = append(links[a], b)
		links[b] = append(links[b], a)
	}
	points := map[*gedge][]*gnode{}
	for i, e := range g.edges {
		if e.back {
			continue
		}
		prev := e.From
		for c := col[e.From] + 1; c < col[e.To]; c++ {
			p := &gnode{ID: fmt.Sprintf("edge %d at %d", i, c), Col: c, H: pointH}
			col[p.ID] = c
			cols[c] = append(cols[c], p)
			points[e] = append(points[e], p)
			link(prev, p.ID)
			prev = p.ID
		}
		link(prev, e.To)
	}

	// Order each column by the mean place of its neighbours, sweeping
	// right, then left, twice.
	pos := map[string]float64{}
	for _, c := range cols {
		for i, n := range c {
			pos[n.ID] = float64(i)
		}
	}
	for sweep := range 4 {
		right := sweep%2 == 0
		for step := range ncols {
			ci := step
			if !right {
				ci = ncols - 1 - step
			}
			c := cols[ci]
			bary := map[string]float64{}
			for _, n := range c {
				sum, cnt := 0.0, 0
				for _, m := range links[n.ID] {
					if (right && col[m] < ci) || (!right && col[m] > ci) {
						sum += pos[m]
						cnt++
					}
				}
				bary[n.ID] = pos[n.ID]
				if cnt > 0 {
					bary[n.ID] = sum / float64(cnt)
				}
			}
			sort.SliceStable(c, func(i, j int) bool { return bary[c[i].ID] < bary[c[j].ID] })
			for i, n := range c {
				pos[n.ID] = float64(i)
			}
		}
	}

	// Place the boxes and points, each column centred on the tallest.
	heights := make([]int, ncols)
	for ci, c := range cols {
		for i, n := range c {
			switch {
			case n.Summary():
				n.H = 26 + lineH*len(n.Lines)
			case n.Kind != "":
				n.H = nodeH
			}
			if i > 0 {
				heights[ci] += rowGap
			}
			heights[ci] += n.H
		}
	}
	tallest := 0
	for _, h := range heights {
		tallest = max(tallest, h)
	}
	for ci, c := range cols {
		y := margin + (tallest-heights[ci])/2
		for _, n := range c {
			n.X = margin + ci*(nodeW+colGap)
			n.Y = y
			y += n.H + rowGap
		}
	}
	g.width = 2*margin + ncols*nodeW + max(ncols-1, 0)*colGap
	g.height = 2*margin + tallest

	// Draw each edge from the right of its start, across its points, to
	// the left of its end; an edge closing a cycle runs back, from the
	// left of its start to the right of its end.
	for _, e := range g.edges {
		a, b := g.nodes[e.From], g.nodes[e.To]
		ay, by := a.Y+a.H/2, b.Y+b.H/2
		if e.back {
			x1, x2 := a.X, b.X+nodeW
			e.D = fmt.Sprintf("M%d %d C%d %d %d %d %d %d", x1, ay, x1-colGap/2, ay, x2+colGap/2, by, x2, by)
		} else {
			var d strings.Builder
			x, y := a.X+nodeW, ay
			fmt.Fprintf(&d, "M%d %d", x, y)
			curve := func(x2, y2 int) {
				fmt.Fprintf(&d, " C%d %d %d %d %d %d", x+colGap/2, y, x2-colGap/2, y2, x2, y2)
			}
			for _, p := range points[e] {
				py := p.Y + p.H/2
				curve(p.X, py)
				x, y = p.X+nodeW, py
				fmt.Fprintf(&d, " L%d %d", x, y)
			}
			curve(b.X, by)
			e.D = d.String()
		}
		e.Title = edgeTitle(e, a, b)
	}
}

// markCycle marks the cycle that e closes, path[i:] back to path[i] =
// e.To, when one of its edges is a dependsOn: such a cycle never becomes
// ready. A cycle of applies edges alone is left unmarked.
func (g *graph) markCycle(path []string, via []*gedge, e *gedge) {
	i := len(path) - 1
	for i >= 0 && path[i] != e.To {
		i--
	}
	edges := append(append([]*gedge{}, via[i+1:]...), e)
	depends := false
	for _, c := range edges {
		depends = depends || c.Type == edgeDepends
	}
	if !depends {
		return
	}
	var names []string
	for _, id := range path[i:] {
		n := g.nodes[id]
		n.Cycle = true
		if !n.Summary() {
			names = append(names, n.Kind+" "+n.Namespace+"/"+n.Name)
		}
	}
	for _, c := range edges {
		c.Cycle = true
	}
	names = append(names, names[0])
	g.cycles = append(g.cycles, strings.Join(names, " → "))
}

// edgeTitle says what an edge means.
func edgeTitle(e *gedge, a, b *gnode) string {
	name := func(n *gnode) string { return n.Kind + " " + n.Namespace + "/" + n.Name }
	switch e.Type {
	case edgeSource:
		return name(b) + " reads " + name(a)
	case edgeDepends:
		return name(b) + " depends on " + name(a)
	}
	if a.Summary() {
		return name(a) + " applies " + name(b)
	}
	return "what " + name(a) + " applied"
}

// cut shortens s to n characters, marking the cut.
func cut(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// graphPage is the data of the graph page.
type graphPage struct {
	// Namespace and Focus are the filters.
	Namespace, Focus string
	// Namespaces are every namespace with objects, for the filter.
	Namespaces []nsCount
	// Count is the number of nodes the filters leave; TooMany says it is
	// above Max, and nothing is drawn.
	Count, Max int
	TooMany    bool
	// NotFound says why the focus matches nothing.
	NotFound string
	// Nodes and Edges are the drawing, Width and Height its size.
	Nodes         []*gnode
	Edges         []*gedge
	Width, Height int
	// Cycles describe the dependsOn cycles.
	Cycles []string
}

// graphKinds are the kinds the graph shows, space separated, for the live
// updates.
func graphKinds() string {
	var names []string
	for _, k := range kinds {
		if k.InGraph() {
			names = append(names, k.name)
		}
	}
	return strings.Join(names, " ")
}

// parseFocus reads "Kind/namespace/name" into a node ID, the kind's name
// as the UI spells it.
func parseFocus(s string) (string, error) {
	parts := strings.Split(strings.TrimSpace(s), "/")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
		return "", fmt.Errorf("focus %q is not Kind/namespace/name (e.g. Kustomization/flux-system/apps)", s)
	}
	k := kindNamed(parts[0])
	if k == nil || !k.InGraph() {
		return "", fmt.Errorf("the graph shows no kind %q; it shows %s", parts[0], strings.ReplaceAll(graphKinds(), " ", ", "))
	}
	return graphID(k.name, parts[1], parts[2]), nil
}

// graph serves the graph page, from the cache only.
func (s *Server) graph(w http.ResponseWriter, r *http.Request) {
	all := map[*kind][]row{}
	for _, k := range kinds {
		if !k.InGraph() {
			continue
		}
		rows, err := s.rows(r.Context(), k, "")
		if err != nil {
			s.listErr(w, r, err)
			return
		}
		all[k] = rows
	}
	visible, err := s.visible(r)
	if err != nil {
		s.fail(w, r, http.StatusForbidden, "Refused", err.Error())
		return
	}
	q := r.URL.Query()
	p, code := graphView(buildGraph(all, visible), strings.TrimSpace(q.Get("ns")), strings.TrimSpace(q.Get("focus")))
	s.render(w, r, code, "graph", page{Title: "Graph", Nav: "Graph", LiveKinds: graphKinds(), Data: p})
}

// graphView filters g by namespace ns and then by focus (each unless
// empty) and lays it out, unless more than maxGraphNodes are left; the
// code is 404 for a focus not in the graph.
func graphView(g *graph, ns, focus string) (graphPage, int) {
	p := graphPage{Namespace: ns, Focus: focus, Max: maxGraphNodes, Namespaces: g.namespaces()}
	if ns != "" {
		g = g.inNamespace(ns)
	}
	if focus != "" {
		id, err := parseFocus(focus)
		if err == nil {
			var ok bool
			if g, ok = g.focus(id); !ok {
				where := "the graph"
				if ns != "" {
					where = "the graph of namespace " + ns
				}
				err = fmt.Errorf("%s is not in %s", strings.Replace(id, "/", " ", 1), where)
			}
		}
		if err != nil {
			p.NotFound = err.Error()
			return p, http.StatusNotFound
		}
	}
	p.Count = len(g.nodes)
	if p.Count > maxGraphNodes {
		p.TooMany = true
		return p, http.StatusOK
	}
	g.layout()
	p.Width, p.Height, p.Cycles, p.Edges = g.width, g.height, g.cycles, g.edges
	for _, n := range g.nodes {
		p.Nodes = append(p.Nodes, n)
	}
	sort.Slice(p.Nodes, func(i, j int) bool { return before(p.Nodes[i], p.Nodes[j]) })
	return p, http.StatusOK
}
