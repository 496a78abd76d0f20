// Package v2 contains the helm.toolkit.fluxcd.io/v2 API: HelmRelease, the
// storage version. v2beta2 and v2beta1 are served beside it without a
// conversion webhook; the fields those versions had and v2 dropped
// (chart.spec.valuesFile, postRenderers[].kustomize.patchesStrategicMerge
// and patchesJson6902, status.lastAppliedRevision) are kept here as
// deprecated fields so an old object is stored whole, and the controller
// honours them. See docs/api.md.
// +kubebuilder:object:generate=true
// +groupName=helm.toolkit.fluxcd.io
package v2
