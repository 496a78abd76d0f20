// Package v1beta3 contains the notification.toolkit.fluxcd.io/v1beta3 API:
// Provider, where and how notifications are sent (a chat, a webhook, a Git
// forge's commit status), and Alert, which events of which objects go to a
// Provider. Field names and JSON match Flux's notification-controller
// v1beta3 API, the storage version of both kinds.
//
// Deviations from Flux: Flux's v1beta3 Provider and Alert are static objects
// without a status; ferry's have the status of v1beta2 (conditions,
// observedGeneration, lastHandledReconcileAt) behind a status subresource,
// with Ready and Status printer columns, so that a bad regular expression or
// a missing Secret shows on the object. Flux YAML, which never sets a
// status, applies unchanged. The API server serves v1beta1 and v1beta2 next
// to v1beta3 without a conversion webhook; every field of those versions
// exists here under the same JSON name (spec.interval and spec.proxy of the
// Provider, deprecated), so an old object is stored and read back whole.
// +kubebuilder:object:generate=true
// +groupName=notification.toolkit.fluxcd.io
package v1beta3
