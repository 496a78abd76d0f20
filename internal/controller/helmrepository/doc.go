// Package helmrepository reconciles Flux HelmRepository objects
// (source.toolkit.fluxcd.io/v1) with the conditions, events and metrics of
// Flux's source-controller.
//
// A HelmRepository of type default (an HTTP(S) chart repository) has its
// index.yaml fetched every spec.interval (internal/helm/repository:
// FetchIndex, bounded by --helm-index-max-size), parsed and sorted as Helm
// does; the sorted index is stored as the artifact "index.yaml" with Flux's
// revision, "sha256:<hex>" of the sorted index (which is also the artifact's
// digest). An unchanged index refreshes the conditions without a write; a
// failed fetch leaves the previous artifact served. The HelmChart
// controller parses a stored index once per digest through the shared
// repository.IndexCache. Older artifacts are garbage collected (the current
// one and the one before are kept), and deleting the object removes them
// (finalizer finalizers.fluxcd.io).
//
// A HelmRepository of type oci is static, as Flux's: no fetch and no
// artifact, the registry is never polled. ferry checks the URL (oci://) and
// the Secrets, then reports Ready=True "Helm repository is Ready"; the
// HelmChart controller reaches the registry itself.
//
// Credentials come from spec.secretRef (username and password; a
// dockerconfigjson Secret for OCI; the deprecated certFile, keyFile and
// caFile) and spec.certSecretRef (tls.crt, tls.key, ca.crt).
//
// Deviations from Flux: spec.provider other than generic (only read by Flux
// for type oci) stalls with reason UnsupportedField, as ferry cannot obtain
// cloud credentials yet; URLs with credentials are refused (URLInvalid); a
// server that rejects the credentials fails with reason AuthenticationFailed
// rather than Flux's generic Failed; status.url is the URL of the stored
// index artifact itself rather than a stable "index.yaml" symlink.
package helmrepository
