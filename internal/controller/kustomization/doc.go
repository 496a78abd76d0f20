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
//
// spec.dependsOn holds a Kustomization back (DependencyNotReady) until the
// Kustomizations it names are Ready; a dependency becoming Ready enqueues its
// dependents at once. Beyond Flux, an entry with kind: HelmRelease waits for
// a HelmRelease (internal/dependency). spec.wait and spec.healthChecks wait, after the apply,
// for objects to be ready per kstatus and report the Healthy condition; a
// failed object fails the check at once, and a new source revision cancels a
// check still waiting on the old one. Beyond Flux, a build that yields no
// objects while the inventory holds some is refused unless the Kustomization
// is annotated AllowEmptyAnnotation: "true".
package kustomization
