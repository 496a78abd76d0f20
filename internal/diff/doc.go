// Package diff says what applying a Kustomization's built objects, or a
// HelmRelease's rendered chart, would change in the cluster, without
// changing anything: every object is dry-run with server-side apply
// through the controller's apply manager (internal/apply).
//
// Kustomization dry-runs with the owner and the options a reconciliation
// applies with (field manager kustomize-controller, spec.force,
// spec.driftIgnoreRules, the per-object annotations), and, with
// spec.prune, lists the inventory objects the build no longer has and
// that the controller would delete. HelmRelease dry-runs the render of
// the next install or upgrade (release.RenderNext) as Helm applies it
// (field manager helm-controller, Helm's ownership metadata, the release
// namespace, the CRDs per the crds policy) and lists the objects of the
// current release the upgrade would delete.
//
// Both return one Change per object: its ID, whether it would be created,
// drifted (with a unified diff of the cluster object and the dry-run
// result) or deleted. Write prints them as `ferry diff kustomization` and
// `ferry diff helmrelease` do; the web UI renders the same Changes. Every
// Change is masked: the values of a Secret's data are "***" (ssa's "***
// (before)" and "*** (after)" show which keys change), stringData and
// every value read from a Secret (substituteFrom, valuesFrom) are "***",
// and a SOPS-encrypted Secret that was not decrypted is compared by its
// data keys only. No value of a Secret reaches a Change or an error
// message.
package diff
