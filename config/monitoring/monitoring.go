package monitoring

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	"github.com/ferrycd/ferry/config"
)

// files holds the monitoring manifests and the dashboard.
//
//go:embed alerts.yaml podmonitor.yaml dashboard.json
var files embed.FS

const (
	// DashboardConfigMap is the name of the ConfigMap that carries the
	// Grafana dashboard.
	DashboardConfigMap = "ferry-grafana-dashboard"

	// DashboardFile is the key of the dashboard in that ConfigMap, and the
	// name Grafana's sidecar writes it under.
	DashboardFile = "ferry.json"

	// grafanaDashboardLabel is the label Grafana's dashboard sidecar (the
	// Grafana and kube-prometheus-stack Helm charts) looks for on
	// ConfigMaps.
	grafanaDashboardLabel = "grafana_dashboard"
)

// Dashboard returns the Grafana dashboard, as JSON.
func Dashboard() ([]byte, error) {
	return files.ReadFile("dashboard.json")
}

// Manifests returns the monitoring objects for ferry installed in
// ferry-system: the PrometheusRule ferry, the PodMonitor ferry and the
// ConfigMap ferry-grafana-dashboard.
func Manifests() ([]*unstructured.Unstructured, error) {
	return ManifestsIn(config.Namespace)
}

// ManifestsIn returns the monitoring objects for ferry installed in
// namespace: the PrometheusRule, the PodMonitor (which scrapes the pods of
// that namespace) and the dashboard ConfigMap, all in that namespace.
func ManifestsIn(namespace string) ([]*unstructured.Unstructured, error) {
	if errs := validation.IsDNS1123Label(namespace); len(errs) > 0 {
		return nil, fmt.Errorf("monitoring manifests: invalid namespace %q: %s", namespace, strings.Join(errs, "; "))
	}
	var objs []*unstructured.Unstructured
	for _, file := range []string{"alerts.yaml", "podmonitor.yaml"} {
		u, err := decodeFile(file)
		if err != nil {
			return nil, err
		}
		u.SetNamespace(namespace)
		objs = append(objs, u)
	}
	if err := unstructured.SetNestedStringSlice(objs[1].Object, []string{namespace}, "spec", "namespaceSelector", "matchNames"); err != nil {
		return nil, fmt.Errorf("monitoring manifests: PodMonitor: %w", err)
	}
	cm, err := dashboardConfigMap(namespace)
	if err != nil {
		return nil, err
	}
	return append(objs, cm), nil
}

// decodeFile decodes the one object of an embedded YAML file.
func decodeFile(file string) (*unstructured.Unstructured, error) {
	data, err := files.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("monitoring manifests: read %s: %w", file, err)
	}
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	u := &unstructured.Unstructured{}
	if err := dec.Decode(&u.Object); err != nil {
		return nil, fmt.Errorf("monitoring manifests: decode %s: %w", file, err)
	}
	var extra map[string]any
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) || len(extra) > 0 {
		return nil, fmt.Errorf("monitoring manifests: %s holds more than one object", file)
	}
	if u.GetKind() == "" || u.GetName() == "" {
		return nil, fmt.Errorf("monitoring manifests: %s has no kind or name", file)
	}
	return u, nil
}

// dashboardConfigMap wraps dashboard.json in a ConfigMap for Grafana's
// dashboard sidecar.
func dashboardConfigMap(namespace string) (*unstructured.Unstructured, error) {
	dashboard, err := Dashboard()
	if err != nil {
		return nil, fmt.Errorf("monitoring manifests: read dashboard.json: %w", err)
	}
	if !json.Valid(dashboard) {
		return nil, errors.New("monitoring manifests: dashboard.json is not valid JSON")
	}
	cm := &unstructured.Unstructured{}
	cm.SetAPIVersion("v1")
	cm.SetKind("ConfigMap")
	cm.SetName(DashboardConfigMap)
	cm.SetNamespace(namespace)
	cm.SetLabels(map[string]string{
		grafanaDashboardLabel:         "1",
		"app.kubernetes.io/name":      "ferry",
		"app.kubernetes.io/part-of":   "ferry",
		"app.kubernetes.io/component": "monitoring",
	})
	if err := unstructured.SetNestedStringMap(cm.Object, map[string]string{DashboardFile: string(dashboard)}, "data"); err != nil {
		return nil, err
	}
	return cm, nil
}
