package monitoring_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	k8slabels "k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"

	"github.com/ferrycd/ferry/config"
	"github.com/ferrycd/ferry/config/monitoring"
)

// TestManifests decodes the three objects Manifests returns: the
// PrometheusRule with its alerts, the PodMonitor of the controller pods and
// the ConfigMap that carries dashboard.json unchanged.
func TestManifests(t *testing.T) {
	objs, err := monitoring.Manifests()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, u := range objs {
		got = append(got, u.GetAPIVersion()+" "+u.GetKind()+" "+u.GetNamespace()+"/"+u.GetName())
		if u.GetLabels()["app.kubernetes.io/part-of"] != "ferry" {
			t.Errorf("%s %s lacks app.kubernetes.io/part-of: ferry: %v", u.GetKind(), u.GetName(), u.GetLabels())
		}
	}
	want := []string{
		"monitoring.coreos.com/v1 PrometheusRule ferry-system/ferry",
		"monitoring.coreos.com/v1 PodMonitor ferry-system/ferry",
		"v1 ConfigMap ferry-system/ferry-grafana-dashboard",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("objects:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	rule, podMonitor, cm := objs[0], objs[1], objs[2]

	t.Run("PrometheusRule", func(t *testing.T) {
		var spec struct {
			Groups []struct {
				Name  string
				Rules []struct {
					Alert       string
					Expr        string
					For         string
					Labels      map[string]string
					Annotations map[string]string
				}
			}
		}
		decode(t, rule, &spec)
		var alerts []string
		for _, g := range spec.Groups {
			for _, r := range g.Rules {
				alerts = append(alerts, r.Alert)
				if _, err := monitoring.ParseQuery(r.Expr); err != nil {
					t.Errorf("alert %s: %v", r.Alert, err)
				}
				if r.Labels["severity"] == "" {
					t.Errorf("alert %s has no severity label", r.Alert)
				}
				for _, a := range []string{"summary", "description"} {
					if strings.TrimSpace(r.Annotations[a]) == "" {
						t.Errorf("alert %s has no %s annotation", r.Alert, a)
					}
				}
				// Every object alert names the object and what to run.
				if g.Name == "ferry.objects" {
					for _, s := range []string{"$labels.kind", "$labels.exported_namespace", "$labels.name", "ferry get all -n", "ferry events -n"} {
						if !strings.Contains(r.Annotations["description"], s) {
							t.Errorf("alert %s: the description lacks %q: %s", r.Alert, s, r.Annotations["description"])
						}
					}
				}
			}
		}
		wantAlerts := []string{"ReconciliationFailure", "ObjectSuspended", "ReconciliationSlow", "FerryControllerDown"}
		if !slices.Equal(alerts, wantAlerts) {
			t.Errorf("alerts %v, want %v", alerts, wantAlerts)
		}
	})

	t.Run("PodMonitor", func(t *testing.T) {
		var spec struct {
			JobLabel          string
			NamespaceSelector struct{ MatchNames []string }
			Selector          struct {
				MatchLabels      map[string]string
				MatchExpressions []struct {
					Key, Operator string
					Values        []string
				}
			}
			PodMetricsEndpoints []struct{ Port, Path string }
		}
		decode(t, podMonitor, &spec)
		if !slices.Equal(spec.NamespaceSelector.MatchNames, []string{"ferry-system"}) {
			t.Errorf("namespaceSelector %v, want ferry-system", spec.NamespaceSelector.MatchNames)
		}
		// The main controller's pods and the shards'.
		sel := spec.Selector
		if len(sel.MatchLabels) != 1 || sel.MatchLabels["app.kubernetes.io/name"] != "ferry" ||
			len(sel.MatchExpressions) != 1 || sel.MatchExpressions[0].Key != "app.kubernetes.io/component" || sel.MatchExpressions[0].Operator != "In" ||
			!slices.Equal(sel.MatchExpressions[0].Values, []string{"controller", "controller-shard"}) {
			t.Errorf("selector %+v, want app.kubernetes.io/name=ferry and app.kubernetes.io/component in (controller, controller-shard)", sel)
		}
		// FerryControllerDown looks for job=~".*ferry.*".
		if spec.JobLabel != "app.kubernetes.io/name" {
			t.Errorf("jobLabel %q, want app.kubernetes.io/name (job=\"ferry\")", spec.JobLabel)
		}
		if len(spec.PodMetricsEndpoints) != 1 || spec.PodMetricsEndpoints[0].Port != "http-prom" {
			t.Errorf("endpoints %+v, want the port http-prom", spec.PodMetricsEndpoints)
		}
	})

	t.Run("ConfigMap", func(t *testing.T) {
		if cm.GetLabels()["grafana_dashboard"] != "1" {
			t.Errorf("labels %v lack grafana_dashboard: \"1\"", cm.GetLabels())
		}
		data, _, _ := unstructured.NestedStringMap(cm.Object, "data")
		want, err := monitoring.Dashboard()
		if err != nil {
			t.Fatal(err)
		}
		if len(data) != 1 || data[monitoring.DashboardFile] != string(want) {
			t.Errorf("data holds %d keys; %s is not dashboard.json", len(data), monitoring.DashboardFile)
		}
	})
}

// TestManifestsIn moves every object, and what the PodMonitor scrapes, to
// another namespace, and refuses a namespace Kubernetes would.
func TestManifestsIn(t *testing.T) {
	objs, err := monitoring.ManifestsIn("gitops")
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range objs {
		if u.GetNamespace() != "gitops" {
			t.Errorf("%s %s is in %q, want gitops", u.GetKind(), u.GetName(), u.GetNamespace())
		}
	}
	names, _, _ := unstructured.NestedStringSlice(objs[1].Object, "spec", "namespaceSelector", "matchNames")
	if !slices.Equal(names, []string{"gitops"}) {
		t.Errorf("the PodMonitor scrapes %v, want gitops", names)
	}
	// The embedded objects are not changed by a call.
	again, err := monitoring.Manifests()
	if err != nil {
		t.Fatal(err)
	}
	if again[0].GetNamespace() != "ferry-system" {
		t.Errorf("Manifests after ManifestsIn(gitops): %s", again[0].GetNamespace())
	}
	if _, err := monitoring.ManifestsIn("Not_A_Namespace"); err == nil || !strings.Contains(err.Error(), `invalid namespace "Not_A_Namespace"`) {
		t.Errorf("ManifestsIn(Not_A_Namespace) = %v, want an invalid namespace error", err)
	}
}

// TestDashboard checks dashboard.json: valid JSON, a Prometheus data source
// variable every panel uses, the namespace variables, and the panels the
// dashboard promises.
func TestDashboard(t *testing.T) {
	data, err := monitoring.Dashboard()
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		UID        string
		Templating struct{ List []struct{ Name, Type string } }
		Panels     []struct {
			Title, Type string
			Datasource  struct{ Type, UID string }
		}
	}
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatalf("dashboard.json: %v", err)
	}
	var vars []string
	for _, v := range d.Templating.List {
		vars = append(vars, v.Type+" "+v.Name)
	}
	if want := []string{"datasource DS_PROMETHEUS", "query operator_namespace", "query job", "query namespace"}; !slices.Equal(vars, want) {
		t.Errorf("variables %v, want %v", vars, want)
	}
	var titles []string
	for _, p := range d.Panels {
		titles = append(titles, p.Title)
		if p.Type != "row" && (p.Datasource.Type != "prometheus" || p.Datasource.UID != "${DS_PROMETHEUS}") {
			t.Errorf("panel %q reads %+v, want the ${DS_PROMETHEUS} variable", p.Title, p.Datasource)
		}
	}
	for _, want := range []string{"Reconcile duration per kind (p50, p99)", "Ready per kind", "Failing objects", "Suspended objects",
		"Reconcile errors per second", "Workqueue depth", "Memory", "CPU"} {
		if !slices.Contains(titles, want) {
			t.Errorf("no panel %q in %q", want, titles)
		}
	}
}

// TestDashboardQueries parses every query of the dashboard and the alerts
// and checks that each names a series; the queries of ferry's own series
// filter objects by exported_namespace, as Flux's dashboards do.
func TestDashboardQueries(t *testing.T) {
	exprs, err := monitoring.DashboardQueries()
	if err != nil {
		t.Fatal(err)
	}
	if len(exprs) < 20 {
		t.Fatalf("only %d queries: %q", len(exprs), exprs)
	}
	for _, e := range exprs {
		if strings.Contains(e, "$") {
			t.Errorf("a Grafana variable is left in %q", e)
		}
		if _, err := monitoring.ParseQuery(e); err != nil {
			t.Errorf("%q: %v", e, err)
			continue
		}
		if len(monitoring.SeriesNames(e)) == 0 {
			t.Errorf("%q selects no series", e)
		}
	}
}

func TestSeriesNames(t *testing.T) {
	tests := map[string]struct {
		expr string
		want []string
	}{
		"selector":   {`up`, []string{"up"}},
		"matchers":   {`gotk_suspend_status{kind="Kustomization"} == 1`, []string{"gotk_suspend_status"}},
		"__name__":   {`{__name__="go_goroutines",job="ferry"}`, []string{"go_goroutines"}},
		"name regex": {`{__name__=~"go_.*"}`, nil},
		"histogram": {
			`histogram_quantile(0.99, sum by (kind, le) (rate(gotk_reconcile_duration_seconds_bucket[5m])))`,
			[]string{"gotk_reconcile_duration_seconds_bucket"},
		},
		"binary, sorted, once": {
			`sum(rate(x_sum[5m])) / sum(rate(x_count[5m])) + sum(rate(x_sum[1h]))`,
			[]string{"x_count", "x_sum"},
		},
		"subquery and offset": {`max_over_time(workqueue_depth[1h:1m] offset 5m)`, []string{"workqueue_depth"}},
		"absent":              {`absent(up{job=~".*ferry.*"} == 1)`, []string{"up"}},
		"no series":           {`vector(1) + 2`, nil},
		"label in a string":   {`count(a{name="b_total"}) or vector(0)`, []string{"a"}},
		"invalid":             {`sum(rate(x[5m]`, nil},
		"grafana variable":    {`rate(x[$__rate_interval])`, nil},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := monitoring.SeriesNames(tt.expr); !slices.Equal(got, tt.want) {
				t.Errorf("SeriesNames(%q) = %q, want %q", tt.expr, got, tt.want)
			}
		})
	}
}

func TestExpandVariables(t *testing.T) {
	tests := map[string]struct{ in, want string }{
		"rate interval":  {`rate(x{a=~"$namespace"}[$__rate_interval])`, `rate(x{a=~".*"}[5m])`},
		"braces, format": {`x{a=~"${namespace:regex}",b=~"${job}"}[${__interval}]`, `x{a=~".*",b=~".*"}[5m]`},
		"range":          {`increase(x[$__range])`, `increase(x[5m])`},
		"plain PromQL":   {`sum by (le) (rate(x_bucket[5m]))`, `sum by (le) (rate(x_bucket[5m]))`},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := monitoring.ExpandVariables(tt.in); got != tt.want {
				t.Errorf("ExpandVariables(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// FuzzSeriesNames feeds SeriesNames any text: it never panics, and what it
// returns is sorted, once each, and valid metric names.
func FuzzSeriesNames(f *testing.F) {
	exprs, err := monitoring.DashboardQueries()
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range exprs {
		f.Add(e)
	}
	f.Add(`{__name__="a"}`)
	f.Fuzz(func(t *testing.T, expr string) {
		names := monitoring.SeriesNames(expr)
		if !slices.IsSorted(names) || len(slices.Compact(slices.Clone(names))) != len(names) {
			t.Fatalf("SeriesNames(%q) = %q: not sorted and unique", expr, names)
		}
		for _, n := range names {
			if n == "" {
				t.Fatalf("SeriesNames(%q) has an empty name", expr)
			}
		}
	})
}

// decode turns an object's spec into out.
func decode(t *testing.T, u *unstructured.Unstructured, out any) {
	t.Helper()
	data, err := yaml.Marshal(u.Object["spec"])
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.UnmarshalStrict(data, out); err != nil {
		t.Fatalf("%s %s: %v", u.GetKind(), u.GetName(), err)
	}
}

// TestPodMonitorSelectsInstall checks the PodMonitor against what `ferry
// install --shards` deploys: it selects the pods of the main controller and
// of every shard, in the namespace they run in, and each has the port it
// scrapes.
func TestPodMonitorSelectsInstall(t *testing.T) {
	for _, ns := range []string{"", "gitops"} {
		install, err := config.InstallObjects(config.InstallOptions{Version: "v1.0.0", Namespace: ns, Shards: []string{"a", "b"}})
		if err != nil {
			t.Fatal(err)
		}
		if ns == "" {
			ns = config.Namespace
		}
		objs, err := monitoring.ManifestsIn(ns)
		if err != nil {
			t.Fatal(err)
		}
		var spec struct {
			JobLabel            string
			NamespaceSelector   struct{ MatchNames []string }
			Selector            metav1.LabelSelector
			PodMetricsEndpoints []struct{ Port, Path string }
		}
		decode(t, objs[1], &spec)
		sel, err := metav1.LabelSelectorAsSelector(&spec.Selector)
		if err != nil {
			t.Fatal(err)
		}
		var selected []string
		for _, u := range install {
			if u.GetKind() != "Deployment" {
				continue
			}
			podLabels, _, _ := unstructured.NestedStringMap(u.Object, "spec", "template", "metadata", "labels")
			if !sel.Matches(k8slabels.Set(podLabels)) || !slices.Contains(spec.NamespaceSelector.MatchNames, u.GetNamespace()) {
				t.Errorf("the PodMonitor (%s in %v) does not select the pods of Deployment %s/%s (%v)", sel, spec.NamespaceSelector.MatchNames, u.GetNamespace(), u.GetName(), podLabels)
				continue
			}
			selected = append(selected, u.GetName())
			containers, _, _ := unstructured.NestedSlice(u.Object, "spec", "template", "spec", "containers")
			var ports []string
			for _, c := range containers {
				ps, _, _ := unstructured.NestedSlice(c.(map[string]any), "ports")
				for _, p := range ps {
					ports = append(ports, p.(map[string]any)["name"].(string))
				}
			}
			if !slices.Contains(ports, spec.PodMetricsEndpoints[0].Port) {
				t.Errorf("Deployment %s has no port %s: %v", u.GetName(), spec.PodMetricsEndpoints[0].Port, ports)
			}
		}
		if want := []string{"ferry", "ferry-shard-a", "ferry-shard-b"}; !slices.Equal(selected, want) {
			t.Errorf("in %s the PodMonitor selects %v, want %v", ns, selected, want)
		}
	}
}
