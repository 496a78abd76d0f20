// Package helmchart reconciles Flux HelmChart objects
// (source.toolkit.fluxcd.io/v1) into packaged charts (.tgz) in artifact
// storage, with the revisions, conditions and events of Flux's
// source-controller.
//
// Where the chart comes from depends on spec.sourceRef:
//
//   - a HelmRepository of type default: its artifact is the repository
//     index, parsed once per digest and shared between every HelmChart
//     through a repository.IndexCache; spec.chart and spec.version (a
//     semver range, "*" by default) pick the newest matching version,
//     which is downloaded with the repository's credentials;
//   - a HelmRepository of type oci: the registry's tags are listed and the
//     chart pulled (plain HTTP only with spec.insecure);
//   - a GitRepository: its artifact is unpacked once per digest
//     (artifact.Cache), spec.chart is the chart directory in it, loaded
//     confined to the artifact (no absolute path, no "..", no symlink
//     out of it: Stalled, InvalidChartReference), its dependencies resolved
//     ("file://" from the artifact, remote ones through a HelmRepository in
//     the HelmChart's namespace with the same URL, or named "@name" or
//     "alias:name", with its credentials, else anonymously) and packaged.
//
// spec.valuesFiles (after the deprecated spec.valuesFile) are merged in
// order into the packaged chart's values.yaml; a missing file fails with
// ValuesFilesError unless spec.ignoreMissingValuesFiles, and then
// status.observedValuesFiles lists the files that were used. A single
// "values.yaml" is no values file at all, as in Flux.
//
// The artifact's revision is Flux's: the chart version; "<version>+<12 hex
// of the commit>" with reconcileStrategy Revision from a GitRepository;
// "+<metadata.generation>" appended (after a "." when there is already
// metadata) with values files. The packaged chart's Chart.yaml carries the
// same version. The artifact is stored as one file (Storage.StoreFile,
// "<name>-<version>.tgz"); status.url is its URL. Nothing is downloaded
// or packaged when the resolved chart and revision are those of the
// current artifact and the generation was already observed.
//
// A new artifact of the referenced HelmRepository, GitRepository or Bucket requeues
// the HelmCharts that use it (a field index on spec.sourceRef). Deleting a
// HelmChart removes its artifacts (finalizer finalizers.fluxcd.io); older
// artifacts are collected as for GitRepositories.
//
// Deviations from Flux: spec.verify (cosign, notation) is not supported yet
// and stalls with a message saying so; a values file
// of a chart from a GitRepository not found relative to the artifact's root
// is also looked up relative to the chart directory; an OCI chart whose
// version cannot be resolved is retried with backoff rather than stalled,
// since no event would wake it when a new tag is pushed.
package helmchart
