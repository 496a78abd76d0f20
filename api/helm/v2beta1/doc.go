// Package v2beta1 contains the helm.toolkit.fluxcd.io/v2beta1 API:
// HelmRelease with the field set of Flux's last v2beta1 API (helm-controller
// v1.0, which already carried the v2beta2 fields driftDetection,
// persistentClient and the v2beta2 status as provisional fields). The API
// server serves it next to v2 (the storage version) without a conversion
// webhook: an object written as v2beta1 is stored and read back as v2 with
// every field, since v2 keeps each v2beta1 field under the same JSON name
// (the deprecated ones included: chart.spec.valuesFile,
// postRenderers[].kustomize.patchesStrategicMerge and patchesJson6902,
// install.skipCRDs, status.lastAppliedRevision). ferry's controllers only
// read v2, so a v2beta1 object behaves as its v2 reading. Types identical in
// v2beta2 are that package's. See docs/api.md.
// +kubebuilder:object:generate=true
// +groupName=helm.toolkit.fluxcd.io
package v2beta1
