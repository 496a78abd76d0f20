// Package monitoring holds what ferry ships to watch it with Prometheus and
// Grafana: a PrometheusRule of alerts (alerts.yaml), a PodMonitor that
// scrapes the controller pods (podmonitor.yaml) and a Grafana dashboard
// (dashboard.json), which Manifests wraps in a ConfigMap for Grafana's
// dashboard sidecar.
//
// The dashboard and the alerts query the series ferry's controller serves
// on --metrics-addr: gotk_reconcile_condition, gotk_suspend_status and
// gotk_reconcile_duration_seconds (internal/metrics), with the names and
// labels of Flux's controllers, and controller-runtime's own
// (controller_runtime_reconcile_*, workqueue_*, process_*, go_*). As for
// Flux, the queries read an object's namespace from exported_namespace:
// once Prometheus scrapes a pod, namespace is the pod's.
//
// DashboardQueries and SeriesNames list the expressions and the series they
// read, so that a test can check each against a real /metrics endpoint.
package monitoring
