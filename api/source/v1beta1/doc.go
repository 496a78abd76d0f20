// Package v1beta1 contains the source.toolkit.fluxcd.io/v1beta1 API:
// GitRepository with the field set of Flux's v1beta1 API. The API server
// serves it next to v1 (the storage version) without a conversion webhook:
// an object written as v1beta1 is stored and read back as v1 with every
// field whose JSON name is the same in both versions; deprecated fields v1
// lacks (gitImplementation, accessFrom) are dropped. ferry's controllers only
// read v1. See docs/api.md.
// +kubebuilder:object:generate=true
// +groupName=source.toolkit.fluxcd.io
package v1beta1
