// Package dependency is spec.dependsOn, for any kind that has it: an object
// waits until the objects it names, of its own kind, are Ready at their
// latest generation (or, for an entry with a readyExpr, until that CEL
// expression is true), and a dependency becoming Ready enqueues its
// dependents at once instead of at their next retry.
//
// A dependency without a namespace is in the dependent's namespace; whether
// other namespaces may be named at all is internal/acl's concern. The
// owning kind describes itself to a Tracker (its GroupVersionKind, how to
// read its status.observedGeneration and last applied revision, its
// readyExprs) and adds, per check, what only it knows: a Kustomization also
// requires a dependency built from the same source to have applied the
// source's current revision.
//
// Objects are indexed by their dependencies under IndexKey (Index), so that
// the dependents of an object are one cached List away.
package dependency
