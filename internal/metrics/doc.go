// Package metrics records the Prometheus metrics Flux's controllers expose,
// under the same names and labels, so dashboards built for Flux work with
// ferry: gotk_reconcile_duration_seconds, gotk_reconcile_condition and
// gotk_suspend_status. The collectors are registered on controller-runtime's
// metrics registry, served by the manager at /metrics.
package metrics
