// Package release runs Helm 4 actions for a HelmRelease: it builds the
// action configuration (Helm's Secret storage in the storage namespace, a
// Kubernetes client whose discovery and RESTMapper are shared between
// actions), composes the values from valuesFrom and values, post-renders
// with kustomize (internal/build) and applies the chart's CRDs per the crds
// policy itself, since Helm never upgrades crds/.
//
// RenderNext renders what a HelmRelease's next install or upgrade would
// apply, from the cluster as a given client reads it (its HelmChart's
// artifact, valuesFrom, Helm's release storage), for `ferry diff
// helmrelease` and the web UI's diff; the controller loads its charts with
// the same LoadChart.
//
// Nothing here keeps Helm global state per release: the field manager is
// set once (SetFieldManager), every action gets its own logger, and
// releases of the same name are serialised by the caller.
package release
