// Package gitrepository reconciles Flux GitRepository objects
// (source.toolkit.fluxcd.io/v1): it fetches the referenced branch or tag over
// HTTP(S), archives the checkout into artifact storage and records the
// artifact in the object's status, with the conditions, events and metrics
// Flux's source-controller produces.
//
// A reconcile asks the remote for the head of the reference first and skips
// the clone when it matches the stored artifact of an already observed
// generation. Deleting the object removes its artifacts (finalizer
// finalizers.fluxcd.io).
package gitrepository
