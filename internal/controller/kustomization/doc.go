// Package kustomization is the Kustomization controller: it reconciles Flux
// Kustomizations (kustomize.toolkit.fluxcd.io/v1) the way kustomize-controller
// does. For each one it gets the source's artifact, unpacks it, builds the
// path with kustomize (internal/build), applies the result with server-side
// apply (internal/apply), prunes what the source no longer declares, and
// records the inventory, revisions and conditions in the status.
//
// A new artifact of a GitRepository triggers every Kustomization that uses it
// at once; otherwise each is re-applied every spec.interval, which reverts
// drift. Deleting a Kustomization with prune enabled deletes what it applied.
package kustomization
