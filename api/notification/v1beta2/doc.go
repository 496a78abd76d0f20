// Package v1beta2 contains the notification.toolkit.fluxcd.io/v1beta2 API:
// Provider, Alert and Receiver with the field set of Flux's last v1beta2
// API. The API server serves it next to the storage versions (v1beta3 for
// Provider and Alert, v1 for Receiver) without a conversion webhook: an
// object written as v1beta2 is stored and read back in the storage version
// with every field, since each v1beta2 field is kept there under the same
// JSON name. What differs:
//
//   - Provider: spec.interval is kept by v1beta3 but deprecated and unused;
//     v1beta3's proxySecretRef, serviceAccountName and commitStatusExpr and
//     its type nats are absent here.
//   - Alert: the same fields as v1beta3 (summary is deprecated there).
//   - Receiver: status.url (deprecated, replaced by status.webhookPath) is
//     kept by v1 for these objects; v1's resourceFilter and the cdevents
//     type are absent here.
//
// ferry's controllers only read the storage versions. Resource references
// are v1's CrossNamespaceObjectReference, as in Flux.
// +kubebuilder:object:generate=true
// +groupName=notification.toolkit.fluxcd.io
package v1beta2
