// Package apply applies built objects to a cluster with server-side apply,
// keeps the inventory of what a Flux Kustomization applied, and prunes what
// it no longer declares. It is a thin layer over github.com/fluxcd/pkg/ssa
// set up exactly as kustomize-controller sets it up, so ferry is a drop-in
// replacement: the field manager is "kustomize-controller" and every applied
// object carries the kustomize.toolkit.fluxcd.io/name and /namespace owner
// labels.
//
// Objects are applied in stages (CRDs, Namespaces and ClusterRoles first,
// waiting until they are established, then class kinds, then the rest);
// drift is detected with a server-side dry run and reverted by the next
// apply. Pruning deletes only objects that are in the previous inventory,
// are absent from the new one, and still carry this owner's labels; objects
// annotated kustomize.toolkit.fluxcd.io/prune: disabled are kept. Wait
// waits until a set of objects is ready per kstatus, failing fast when one
// of them reports failure.
package apply
