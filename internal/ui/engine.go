package ui

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/ferrycd/ferry/config"
	"github.com/ferrycd/ferry/internal/reconcile"
)

// Engine is what the engine panel reads of the controllers that run in
// the UI's own process. It reads no API.
type Engine struct {
	// Metrics gathers the controllers' metrics: controller-runtime's
	// registry (workqueue_depth, controller_runtime_active_workers,
	// controller_runtime_max_concurrent_reconciles,
	// controller_runtime_reconcile_total and _errors_total).
	Metrics prometheus.Gatherer
	// Runs returns the last run of every object (reconcile.Runs).
	Runs func() []reconcile.Run
}

// enginePage is the data of the engine panel.
type enginePage struct {
	// APIs are the kinds ferry serves with their versions, from the CRDs
	// built into the binary; APIsErr says why they could not be read.
	APIs    []servedKind
	APIsErr string
	// Running says the controllers run in this process: without, the
	// queues and runs are in the controller's own UI.
	Running bool
	// Controllers are the controllers' queues and counts; MetricsErr says
	// why the metrics could not be gathered.
	Controllers []controllerStats
	MetricsErr  string
	// Runs are this page's objects, by their next run; the pager's Total
	// is how many objects have run.
	Runs []runRow
	pager
}

// PageURL is the engine panel's page n.
func (enginePage) PageURL(n int) string { return "/engine?page=" + strconv.Itoa(n) }

// servedKind is one kind of ferry's API.
type servedKind struct {
	Kind, Group string
	// Path is its list, when the UI shows the kind.
	Path     string
	Versions []servedVersion
}

// servedVersion is one version of a kind's CRD.
type servedVersion struct {
	Name                        string
	Served, Storage, Deprecated bool
}

// controllerStats are one controller's figures.
type controllerStats struct {
	Name string
	// Depth is how many objects wait in its queue (summed over the
	// priorities); Active and Max are its busy and configured workers.
	Depth, Active, Max int
	// Reconciles are its reconciles, by result (success, requeue_after,
	// requeue, error); Errors those that returned an error.
	Reconciles, Errors int
	ByResult           []resultCount
	// Requeues are the objects put back in its queue to run later:
	// client-go's workqueue_retries_total counts every delayed re-add,
	// the next run after spec.interval or a wait as well as the backoff
	// after an error, so it is not a count of failures.
	Requeues int
}

type resultCount struct {
	Result string
	Count  int
}

// runRow is one object's last run.
type runRow struct {
	reconcile.Run
	// Path is the object's page, when the UI shows its kind.
	Path string
}

// State is the run's outcome as one of the UI's states, for its colour.
func (r runRow) State() string {
	switch r.Result {
	case reconcile.RunSuccess:
		return stateReady
	case reconcile.RunRequeue:
		return stateProgressing
	case reconcile.RunSuspended:
		return stateSuspended
	}
	return stateFailing
}

// NextIn says when the next run is due: "in 4m30s", "due" once its time
// has come (it waits for a worker, or runs now), "" for none.
func (r runRow) NextIn() string {
	if r.Next.IsZero() {
		return ""
	}
	d := time.Until(r.Next)
	if d <= 0 {
		return "due"
	}
	return "in " + shortDuration(d)
}

// Took is the run's duration, shortly.
func (r runRow) Took() string { return shortDuration(r.Duration) }

// shortDuration rounds d to what a person reads: milliseconds under a
// second, then seconds, minutes and hours.
func shortDuration(d time.Duration) string {
	switch {
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

func (s *Server) engine(w http.ResponseWriter, r *http.Request) {
	p := enginePage{Running: s.opts.Engine != nil}
	var err error
	if p.APIs, err = servedKinds(); err != nil {
		p.APIsErr = err.Error()
	}
	if e := s.opts.Engine; e != nil {
		if e.Metrics != nil {
			if p.Controllers, err = controllerStatsOf(e.Metrics); err != nil {
				s.opts.Log.Error(err, "gathering the controllers' metrics")
				p.MetricsErr = err.Error()
			}
		}
		if e.Runs != nil {
			s.pageRuns(&p, e.Runs(), r.URL.Query().Get("page"))
		}
	}
	s.render(w, r, http.StatusOK, "engine", page{Title: "Engine", Nav: "Engine", Data: p})
}

// pageRuns sorts runs by their next run (none last), then by kind,
// namespace and name, and cuts the page.
func (s *Server) pageRuns(p *enginePage, runs []reconcile.Run, pageParam string) {
	slices.SortFunc(runs, func(a, b reconcile.Run) int {
		if a.Next.IsZero() != b.Next.IsZero() {
			if a.Next.IsZero() {
				return 1
			}
			return -1
		}
		if c := a.Next.Compare(b.Next); c != 0 {
			return c
		}
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	p.pager = newPager(pageParam, len(runs))
	for _, run := range pageOf(p.pager, runs) {
		row := runRow{Run: run}
		if k := kindNamed(run.Kind); k != nil {
			row.Path = objectPath(k.name, run.Namespace, run.Name)
		}
		p.Runs = append(p.Runs, row)
	}
}

// servedKinds reads the CRDs built into the binary, once: the kinds and
// versions this ferry serves, whatever the cluster has installed.
var servedKinds = sync.OnceValues(func() ([]servedKind, error) {
	crds, err := config.CRDs()
	if err != nil {
		return nil, fmt.Errorf("reading the CRDs built into ferry: %w", err)
	}
	out := make([]servedKind, 0, len(crds))
	for _, crd := range crds {
		sk := servedKind{Kind: crd.Spec.Names.Kind, Group: crd.Spec.Group}
		if k := kindNamed(sk.Kind); k != nil && k.gvk.Group == sk.Group {
			sk.Path = "/k/" + k.name
		}
		for _, v := range crd.Spec.Versions {
			sk.Versions = append(sk.Versions, servedVersion{Name: v.Name, Served: v.Served, Storage: v.Storage, Deprecated: v.Deprecated})
		}
		out = append(out, sk)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Group != out[j].Group {
			return out[i].Group < out[j].Group
		}
		return out[i].Kind < out[j].Kind
	})
	return out, nil
})

// The metrics the panel reads, and their labels.
const (
	metricDepth      = "workqueue_depth"
	metricRetries    = "workqueue_retries_total"
	metricActive     = "controller_runtime_active_workers"
	metricMax        = "controller_runtime_max_concurrent_reconciles"
	metricReconciles = "controller_runtime_reconcile_total"
	metricErrors     = "controller_runtime_reconcile_errors_total"
)

// controllerStatsOf gathers each controller's figures from g, by
// controller name. A workqueue's metrics name it by "name" (its
// controller's name); the controllers' own by "controller".
func controllerStatsOf(g prometheus.Gatherer) ([]controllerStats, error) {
	families, err := g.Gather()
	if err != nil && len(families) == 0 {
		return nil, err
	}
	byName := map[string]*controllerStats{}
	stats := func(name string) *controllerStats {
		c := byName[name]
		if c == nil {
			c = &controllerStats{Name: name}
			byName[name] = c
		}
		return c
	}
	results := map[string]map[string]int{}
	isController := map[string]bool{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			switch f.GetName() {
			case metricDepth:
				stats(label(m, "name")).Depth += int(value(m))
			case metricRetries:
				stats(label(m, "name")).Requeues += int(value(m))
			case metricActive:
				stats(label(m, "controller")).Active = int(value(m))
			case metricMax:
				name := label(m, "controller")
				stats(name).Max = int(value(m))
				isController[name] = true
			case metricErrors:
				stats(label(m, "controller")).Errors = int(value(m))
			case metricReconciles:
				name := label(m, "controller")
				c := stats(name)
				n := int(value(m))
				c.Reconciles += n
				if results[name] == nil {
					results[name] = map[string]int{}
				}
				results[name][label(m, "result")] += n
			}
		}
	}
	out := make([]controllerStats, 0, len(byName))
	for name, c := range byName {
		// Other workqueues (client-go's, say) are not controllers.
		if !isController[name] {
			continue
		}
		for res, n := range results[name] {
			c.ByResult = append(c.ByResult, resultCount{Result: res, Count: n})
		}
		sort.Slice(c.ByResult, func(i, j int) bool { return c.ByResult[i].Result < c.ByResult[j].Result })
		out = append(out, *c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, err
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

func value(m *dto.Metric) float64 {
	switch {
	case m.GetGauge() != nil:
		return m.GetGauge().GetValue()
	case m.GetCounter() != nil:
		return m.GetCounter().GetValue()
	}
	return 0
}
