// Package v1 is ferry's image.toolkit.fluxcd.io/v1 API, the storage version
// of Flux's image automation kinds: ImageRepository (which tags an image
// has), ImagePolicy (which of them is the newest allowed) and
// ImageUpdateAutomation (which writes the chosen tags back to Git).
// +kubebuilder:object:generate=true
// +groupName=image.toolkit.fluxcd.io
package v1
