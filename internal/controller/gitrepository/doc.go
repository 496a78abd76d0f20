// Package gitrepository reconciles Flux GitRepository objects
// (source.toolkit.fluxcd.io/v1): it fetches the reference (branch, tag,
// semver range, named ref or commit, with Flux's precedence) over HTTP(S) or
// ssh, archives the checkout into artifact storage and records the
// artifact in the object's status, with the conditions, events and metrics
// Flux's source-controller produces.
//
// A reconcile asks the remote for the head of the reference first and skips
// the clone when it matches the stored artifact of an already observed
// generation, unless spec.ignore, spec.include, an included artifact,
// spec.sparseCheckout or spec.recurseSubmodules changed. Deleting the object removes its artifacts (finalizer
// finalizers.fluxcd.io).
//
// Content selection is Flux's: spec.ignore, .sourceignore files and the
// default exclusions (artifact.IgnoreFilter); spec.include copies other
// GitRepositories' artifacts in, and a watch through a field index on the
// included names rebuilds an includer when an included artifact changes.
// A checkout past MaxCheckoutSize or an artifact past the storage's
// MaxSize fails without storing anything. Requeues carry Flux's interval
// jitter.
//
// Credentials come from spec.secretRef (basic auth, bearer token, CA and
// client certificates, ssh identity and known_hosts) and spec.proxySecretRef;
// only the generic spec.provider is supported, the others stall with a
// message saying so.
package gitrepository
