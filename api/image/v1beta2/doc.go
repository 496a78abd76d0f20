// Package v1beta2 is ferry's image.toolkit.fluxcd.io/v1beta2 API: Flux's
// deprecated image automation version, served so that existing manifests
// keep working. Its kinds share the schema of v1 (the storage version),
// with v1's newer fields too, so that the API server (which converts
// between versions without a webhook) never prunes them.
// +kubebuilder:object:generate=true
// +groupName=image.toolkit.fluxcd.io
package v1beta2
