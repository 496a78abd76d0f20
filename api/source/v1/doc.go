// Package v1 contains the source.toolkit.fluxcd.io/v1 API: GitRepository, the
// object that makes ferry fetch a Git repository and publish its content as
// an Artifact. Field names and JSON match Flux's source-controller v1 API.
// +kubebuilder:object:generate=true
// +groupName=source.toolkit.fluxcd.io
package v1
