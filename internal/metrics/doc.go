// Package metrics records the Prometheus metrics Flux's controllers expose,
// under the same names and labels, so dashboards built for Flux work with
// ferry: gotk_reconcile_duration_seconds, gotk_reconcile_condition and
// gotk_suspend_status. The collectors are registered on controller-runtime's
// metrics registry, served by the manager at /metrics.
//
// gotk_reconcile_condition carries the Ready condition only, one series per
// status (True, False, Unknown, Deleted), as Flux's RecordReadiness records
// it. Deviation: Flux's current controllers no longer export
// gotk_reconcile_condition and gotk_suspend_status (kube-state-metrics'
// gotk_resource_info replaces them); ferry keeps both for the dashboards and
// alerts written against them.
package metrics
