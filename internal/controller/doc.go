// Package controller assembles ferry's controllers into one
// controller-runtime manager: one process, one shared informer cache, the
// artifact storage server, health probes and Prometheus metrics. Each kind's
// reconciler lives in its own sub-package; this package only wires them,
// from one list (registry.go): adding a kind is one entry there.
package controller
