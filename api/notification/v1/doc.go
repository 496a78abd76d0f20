// Package v1 contains the notification.toolkit.fluxcd.io/v1 API: Receiver,
// the object that turns an authenticated incoming webhook (from GitHub,
// GitLab, a container registry, ...) into reconcile requests for the Flux
// objects it lists, and CrossNamespaceObjectReference, the reference to
// those objects that the Alert of v1beta3 shares. Field names and JSON match
// Flux's notification-controller v1 API.
//
// v1 is the storage version of Receiver. The API server serves v1beta1 and
// v1beta2 next to it without a conversion webhook, so ReceiverStatus keeps
// the deprecated status.url of those versions: an old object is stored and
// read back whole.
// +kubebuilder:object:generate=true
// +groupName=notification.toolkit.fluxcd.io
package v1
