// Package image reconciles Flux's image automation kinds
// (image.toolkit.fluxcd.io/v1): ImageRepository, whose tags it scans into
// the tag store; ImagePolicy, which picks the newest allowed tag of a
// repository; ImageUpdateAutomation, which writes the policies' choices
// into the $imagepolicy markers of a Git repository and pushes the commit.
// The first two are Flux's image-reflector-controller, the last its
// image-automation-controller.
package image
