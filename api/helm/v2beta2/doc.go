// Package v2beta2 contains the helm.toolkit.fluxcd.io/v2beta2 API:
// HelmRelease with the field set of Flux's last v2beta2 API (helm-controller
// v1.0). The API server serves it next to v2 (the storage version) without a
// conversion webhook: an object written as v2beta2 is stored and read back as
// v2 with every field, since v2 keeps each v2beta2 field under the same JSON
// name (the deprecated ones included: chart.spec.valuesFile,
// postRenderers[].kustomize.patchesStrategicMerge and patchesJson6902,
// status.lastAppliedRevision). ferry's controllers only read v2. See
// docs/api.md.
// +kubebuilder:object:generate=true
// +groupName=helm.toolkit.fluxcd.io
package v2beta2
