// Package v1beta1 contains the notification.toolkit.fluxcd.io/v1beta1 API:
// Provider, Alert and Receiver with the field set of Flux's last v1beta1
// API. The API server serves it next to the storage versions (v1beta3 for
// Provider and Alert, v1 for Receiver) without a conversion webhook: an
// object written as v1beta1 is stored and read back in the storage version
// with every field, since each v1beta1 field is kept there under the same
// JSON name. What differs:
//
//   - Provider: spec.address and spec.proxy must be HTTP(S) URLs here; the
//     types added later (gitea, bitbucketserver, googlepubsub, pagerduty,
//     datadog, nats), spec.interval and v1beta3's proxySecretRef,
//     serviceAccountName and commitStatusExpr are absent; the status has no
//     lastHandledReconcileAt.
//   - Alert: inclusionList and eventMetadata are absent; eventSources use
//     this package's CrossNamespaceObjectReference (names and namespaces of
//     at most 53 characters, fewer kinds); the status has no
//     lastHandledReconcileAt.
//   - Receiver: spec.interval and resourceFilter and the cdevents type are
//     absent; the webhook path is status.url, which v1 keeps (deprecated)
//     beside its status.webhookPath.
//
// ferry's controllers only read the storage versions.
// +kubebuilder:object:generate=true
// +groupName=notification.toolkit.fluxcd.io
package v1beta1
