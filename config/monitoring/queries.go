package monitoring

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
)

// The values DashboardQueries puts in place of Grafana's variables, so that
// a query parses as PromQL: any duration for the interval variables, a
// regular expression that matches everything for the others (which the
// dashboard uses only in =~ matchers).
const (
	intervalValue = "5m"
	variableValue = ".*"
)

var (
	// intervalVariable matches Grafana's built-in interval variables.
	intervalVariable = regexp.MustCompile(`\$\{?__(rate_interval|interval|range)(_ms|_s)?\}?`)
	// variable matches $name, ${name} and ${name:format}.
	variable = regexp.MustCompile(`\$(\w+|\{\w+(:\w+)?\})`)
	// labelValues matches a variable query label_values(selector, label).
	labelValues = regexp.MustCompile(`^\s*label_values\((.+),\s*\w+\s*\)\s*$`)
)

// promql parses PromQL as Prometheus does by default.
var promql = parser.NewParser(parser.Options{})

// dashboard is the part of a Grafana dashboard that holds queries.
type dashboard struct {
	Panels     []panel `json:"panels"`
	Templating struct {
		List []struct {
			Type  string          `json:"type"`
			Name  string          `json:"name"`
			Query json.RawMessage `json:"query"`
		} `json:"list"`
	} `json:"templating"`
}

type panel struct {
	Title   string `json:"title"`
	Targets []struct {
		Expr string `json:"expr"`
	} `json:"targets"`
	Panels []panel `json:"panels"`
}

// rule is the part of a PrometheusRule that holds queries.
type rule struct {
	Spec struct {
		Groups []struct {
			Rules []struct {
				Alert  string `json:"alert"`
				Record string `json:"record"`
				Expr   string `json:"expr"`
			} `json:"rules"`
		} `json:"groups"`
	} `json:"spec"`
}

// DashboardQueries returns every PromQL expression of the dashboard (its
// panels' targets and the selectors of its label_values variables) and of
// the alert rules, with Grafana's variables replaced so that each parses:
// $__rate_interval and the other interval variables by 5m, the template
// variables ($namespace, ...) by ".*".
func DashboardQueries() ([]string, error) {
	data, err := Dashboard()
	if err != nil {
		return nil, err
	}
	var d dashboard
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, fmt.Errorf("dashboard.json: %w", err)
	}
	var exprs []string
	var walk func([]panel)
	walk = func(ps []panel) {
		for _, p := range ps {
			for _, t := range p.Targets {
				if strings.TrimSpace(t.Expr) != "" {
					exprs = append(exprs, t.Expr)
				}
			}
			walk(p.Panels)
		}
	}
	walk(d.Panels)
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		q, err := variableQuery(v.Query)
		if err != nil {
			return nil, fmt.Errorf("dashboard.json: variable %s: %w", v.Name, err)
		}
		if m := labelValues.FindStringSubmatch(q); m != nil {
			exprs = append(exprs, m[1])
		}
	}

	u, err := decodeFile("alerts.yaml")
	if err != nil {
		return nil, err
	}
	var r rule
	if err := convert(u.Object, &r); err != nil {
		return nil, fmt.Errorf("alerts.yaml: %w", err)
	}
	for _, g := range r.Spec.Groups {
		for _, rl := range g.Rules {
			exprs = append(exprs, rl.Expr)
		}
	}

	for i, e := range exprs {
		exprs[i] = ExpandVariables(strings.TrimSpace(e))
	}
	return exprs, nil
}

// variableQuery returns the query of a Grafana query variable, which is a
// string or, in newer dashboards, an object with a query field.
func variableQuery(raw json.RawMessage) (string, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	var o struct {
		Query string `json:"query"`
	}
	if err := json.Unmarshal(raw, &o); err != nil {
		return "", fmt.Errorf("query is neither a string nor an object with a query: %w", err)
	}
	return o.Query, nil
}

// convert turns a decoded YAML or JSON object into out.
func convert(obj map[string]any, out any) error {
	data, err := json.Marshal(obj)
	if err != nil {
		return err
	}
	return json.Unmarshal(data, out)
}

// ExpandVariables replaces Grafana's variables in a query as
// DashboardQueries does.
func ExpandVariables(expr string) string {
	expr = intervalVariable.ReplaceAllString(expr, intervalValue)
	return variable.ReplaceAllString(expr, variableValue)
}

// ParseQuery parses expr as PromQL.
func ParseQuery(expr string) (parser.Expr, error) {
	return promql.ParseExpr(expr)
}

// SeriesNames returns the metric names that expr selects, sorted and each
// once: the names of its vector and matrix selectors, or of their
// __name__="..." matchers. A selector by a __name__ regular expression names
// no series. It returns nil when expr is not valid PromQL (ParseQuery says
// why).
func SeriesNames(expr string) []string {
	e, err := ParseQuery(expr)
	if err != nil {
		return nil
	}
	var names []string
	for _, vs := range Selectors(e) {
		if n := selectorName(vs); n != "" && !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return names
}

// Selectors returns the vector selectors of e, matrix selectors' included,
// in the order they appear.
func Selectors(e parser.Expr) []*parser.VectorSelector {
	var out []*parser.VectorSelector
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		if vs, ok := n.(*parser.VectorSelector); ok {
			out = append(out, vs)
		}
		return nil
	})
	return out
}

// selectorName returns the metric name a selector selects, "" for none.
func selectorName(vs *parser.VectorSelector) string {
	if vs.Name != "" {
		return vs.Name
	}
	for _, m := range vs.LabelMatchers {
		if m.Name == labels.MetricName && m.Type == labels.MatchEqual {
			return m.Value
		}
	}
	return ""
}
