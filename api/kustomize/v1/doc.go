// Package v1 contains the kustomize.toolkit.fluxcd.io/v1 API: Kustomization,
// the object that makes ferry build a path of a source Artifact with
// Kustomize and apply the result to the cluster. Field names and JSON match
// Flux's kustomize-controller v1 API.
// +kubebuilder:object:generate=true
// +groupName=kustomize.toolkit.fluxcd.io
package v1
