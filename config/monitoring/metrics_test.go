package monitoring_test

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/promql/parser"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/config/monitoring"
	"github.com/ferrycd/ferry/internal/controller"
	"github.com/ferrycd/ferry/internal/testenv"
)

// The suite's one control plane, with ferry's GitRepository and
// Kustomization controllers serving /metrics on metricsURL; nil under
// -short, which runs only the tests that need no plane.
var (
	env        *testenv.Env
	metricsURL string
)

func TestMain(m *testing.M) {
	flag.Parse()
	if !testing.Short() {
		addr, err := freeAddr()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		metricsURL = "http://" + addr + "/metrics"
		env = testenv.Start(testenv.Options{
			Manager: &controller.Options{
				Controllers: []string{"gitrepository", "kustomization"},
				MetricsAddr: addr,
			},
		})
		os.Exit(env.Run(m))
	}
	os.Exit(m.Run())
}

// external are the series the queries read that no ferry /metrics endpoint
// serves, with why.
var external = map[string]string{
	"up": "Prometheus records up for every target it scrapes",
}

// targetLabels are the labels Prometheus (a PodMonitor) puts on every
// scraped series; the series' own namespace label becomes
// exported_namespace.
var targetLabels = []string{"job", "instance", "namespace", "pod", "container", "endpoint"}

// TestDashboardSeriesExist reconciles a GitRepository that cannot fetch
// (Ready=False) and a suspended Kustomization with the real controllers,
// scrapes their /metrics endpoint, and checks that every series the
// dashboard and the alerts query is served (a histogram's _bucket, _sum and
// _count through its name) and carries the labels the queries match and
// group by.
func TestDashboardSeriesExist(t *testing.T) {
	if env == nil {
		t.Skip("needs a control plane (not with -short)")
	}
	ctx := context.Background()
	ns := env.NewNamespace(t, "monitoring")

	// Make a failing and a suspended object, so that every gotk series
	// has a value.
	gr := &sourcev1.GitRepository{
		ObjectMeta: metav1.ObjectMeta{Name: "unreachable", Namespace: ns},
		Spec: sourcev1.GitRepositorySpec{
			// Nothing listens on port 1 of loopback: the fetch fails at once.
			URL:       "http://127.0.0.1:1/fleet.git",
			Interval:  metav1.Duration{Duration: time.Hour},
			Reference: &sourcev1.GitRepositoryRef{Branch: "main"},
		},
	}
	ks := &kustomizev1.Kustomization{
		ObjectMeta: metav1.ObjectMeta{Name: "paused", Namespace: ns},
		Spec: kustomizev1.KustomizationSpec{
			Interval:  metav1.Duration{Duration: time.Hour},
			Path:      "./",
			Suspend:   true,
			SourceRef: kustomizev1.CrossNamespaceSourceReference{Kind: sourcev1.GitRepositoryKind, Name: gr.Name},
		},
	}
	if err := env.Client.Create(ctx, gr); err != nil {
		t.Fatal(err)
	}
	if err := env.Client.Create(ctx, ks); err != nil {
		t.Fatal(err)
	}

	// Wait until the controllers have recorded both.
	want := []struct {
		family string
		labels map[string]string
	}{
		{"gotk_reconcile_condition", map[string]string{"kind": "GitRepository", "namespace": ns, "name": gr.Name, "type": "Ready", "status": "False"}},
		{"gotk_suspend_status", map[string]string{"kind": "Kustomization", "namespace": ns, "name": ks.Name}},
		{"gotk_reconcile_duration_seconds", map[string]string{"kind": "GitRepository", "namespace": ns, "name": gr.Name}},
		{"gotk_reconcile_duration_seconds", map[string]string{"kind": "Kustomization", "namespace": ns, "name": ks.Name}},
	}
	var families map[string]*dto.MetricFamily
	testenv.Eventually(t, "the objects' gotk series on /metrics", func() (bool, string) {
		var err error
		if families, err = scrape(metricsURL); err != nil {
			return false, err.Error()
		}
		for _, w := range want {
			if v, ok := value(families[w.family], w.labels); !ok || v != 1 {
				return false, fmt.Sprintf("%s%v = %v (found %v)", w.family, w.labels, v, ok)
			}
		}
		return true, ""
	})

	// Check every series and label the queries read.
	exprs, err := monitoring.DashboardQueries()
	if err != nil {
		t.Fatal(err)
	}
	checked := map[string]bool{}
	for _, expr := range exprs {
		e, err := monitoring.ParseQuery(expr)
		if err != nil {
			t.Errorf("%q: %v", expr, err)
			continue
		}
		for _, name := range monitoring.SeriesNames(expr) {
			if _, ok := external[name]; ok {
				continue
			}
			if _, ok := lookup(families, name); !ok {
				t.Errorf("%q reads %s, which /metrics does not serve", expr, name)
			}
			checked[name] = true
		}
		for _, l := range usedLabels(e) {
			if _, ok := external[l.series]; ok {
				continue
			}
			if f, ok := lookup(families, l.series); ok && !hasLabel(f, l.series, l.label) {
				t.Errorf("%q reads the label %s of %s, which /metrics does not serve with it (labels: %v)", expr, l.label, l.series, labelNames(f))
			}
		}
	}
	names := make([]string, 0, len(checked))
	for n := range checked {
		names = append(names, n)
	}
	sort.Strings(names)
	t.Logf("checked %d queries reading %d series: %s", len(exprs), len(names), strings.Join(names, ", "))
}

// scrape gets and parses the text exposition at url.
func scrape(url string) (map[string]*dto.MetricFamily, error) {
	resp, err := http.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		return nil, fmt.Errorf("GET %s: %s: %s", url, resp.Status, body)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	return p.TextToMetricFamilies(resp.Body)
}

// lookup finds the family that serves the series name: the family of that
// name, or the histogram or summary whose _bucket, _sum or _count it is.
func lookup(families map[string]*dto.MetricFamily, name string) (*dto.MetricFamily, bool) {
	if f, ok := families[name]; ok {
		return f, true
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		base, ok := strings.CutSuffix(name, suffix)
		if !ok {
			continue
		}
		f, ok := families[base]
		if !ok {
			return nil, false
		}
		switch f.GetType() {
		case dto.MetricType_HISTOGRAM, dto.MetricType_GAUGE_HISTOGRAM:
			return f, true
		case dto.MetricType_SUMMARY:
			return f, suffix != "_bucket"
		}
	}
	return nil, false
}

// value returns the value of the family's series with labels, a
// histogram's sample count.
func value(f *dto.MetricFamily, labels map[string]string) (float64, bool) {
	if f == nil {
		return 0, false
	}
	for _, m := range f.Metric {
		match := true
		for k, v := range labels {
			if labelValue(m, k) != v {
				match = false
			}
		}
		if !match {
			continue
		}
		switch {
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Histogram != nil:
			return min(float64(m.Histogram.GetSampleCount()), 1), true
		}
	}
	return 0, false
}

func labelValue(m *dto.Metric, name string) string {
	for _, l := range m.Label {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

// hasLabel reports whether the series name of family f carries label once
// Prometheus has scraped it.
func hasLabel(f *dto.MetricFamily, name, label string) bool {
	switch label {
	case model.MetricNameLabel:
		return true
	case "exported_namespace":
		// The series' own namespace, renamed by the scrape.
		return slices.Contains(labelNames(f), "namespace")
	case model.BucketLabel:
		return strings.HasSuffix(name, "_bucket")
	}
	if slices.Contains(targetLabels, label) {
		return true
	}
	return slices.Contains(labelNames(f), label)
}

// labelNames returns the label names of the family's series.
func labelNames(f *dto.MetricFamily) []string {
	var names []string
	for _, m := range f.Metric {
		for _, l := range m.Label {
			if !slices.Contains(names, l.GetName()) {
				names = append(names, l.GetName())
			}
		}
	}
	sort.Strings(names)
	return names
}

// seriesLabel is a label a query reads of a series: in a matcher, or in the
// by clause of an aggregation over it.
type seriesLabel struct{ series, label string }

// usedLabels returns the labels e reads of each series it selects.
func usedLabels(e parser.Expr) []seriesLabel {
	var out []seriesLabel
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		switch n := n.(type) {
		case *parser.VectorSelector:
			for _, m := range n.LabelMatchers {
				out = append(out, seriesLabel{n.Name, m.Name})
			}
		case *parser.AggregateExpr:
			if n.Without {
				break
			}
			for _, vs := range monitoring.Selectors(n.Expr) {
				for _, l := range n.Grouping {
					out = append(out, seriesLabel{vs.Name, l})
				}
			}
		}
		return nil
	})
	return out
}

// freeAddr returns a loopback address nothing listens on right now, for the
// manager's metrics server, which does not say which port it took.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}
