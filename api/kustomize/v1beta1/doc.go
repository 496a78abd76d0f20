// Package v1beta1 contains the kustomize.toolkit.fluxcd.io/v1beta1 API:
// Kustomization with the field set of Flux's v1beta1 API. The API server
// serves it next to v1 (the storage version) without a conversion webhook:
// an object written as v1beta1 is stored and read back as v1 with every
// field whose JSON name is the same in both versions. The deprecated
// validation field is dropped; patchesStrategicMerge and patchesJson6902,
// which v1 replaced with patches, are refused with a message rather than
// dropped, since dropping them would change what is applied. ferry's
// controllers only read v1. See docs/api.md.
// +kubebuilder:object:generate=true
// +groupName=kustomize.toolkit.fluxcd.io
package v1beta1
