// Package dependency is spec.dependsOn, for any kind that has it: an object
// waits until the objects it names are Ready at their latest generation (or,
// for an entry with a readyExpr, until that CEL expression is true), and a
// dependency becoming Ready enqueues its dependents at once instead of at
// their next retry.
//
// Kinds lists what can be depended on: Kustomization and HelmRelease. An
// entry without a kind names an object of the dependent's own kind, as in
// Flux; beyond Flux, a Kustomization may name a HelmRelease and a
// HelmRelease a Kustomization (kind: ...). Messages name a dependency of
// the dependent's own kind "<namespace>/<name>", as Flux does, and one of
// another kind "<Kind>/<namespace>/<name>".
//
// A dependency without a namespace is in the dependent's namespace; whether
// other namespaces may be named at all is internal/acl's concern. The
// owning kind gives a Tracker its kind, its list type and how to read its
// spec.dependsOn, and adds, per check, what only it knows: a Kustomization
// also requires a Kustomization dependency built from the same source to
// have applied the source's current revision.
//
// Objects are indexed by their dependencies under IndexKey (Tracker.Index),
// so that the dependents of an object are one cached List away.
package dependency
