// Package repository is ferry's Helm repository client: what the
// HelmRepository and HelmChart controllers call to reach an HTTP chart
// repository or an OCI registry.
//
// OptionsFor reads a HelmRepository and its Secrets into Options
// (spec.secretRef username and password, or a dockerconfigjson Secret for
// OCI; spec.certSecretRef tls.crt, tls.key and ca.crt; the deprecated
// certFile, keyFile and caFile of spec.secretRef without a certSecretRef).
//
// HTTP repositories: FetchIndex downloads index.yaml, bounded by
// MaxIndexSize (50 MiB by default, Flux's), parses it as Helm does
// (ParseIndex), sorts it and returns the YAML to store with its revision,
// "sha256:<hex>" of the sorted index as Flux computes it. IndexCache parses
// a stored index once per revision and shares the result between every
// HelmChart that uses it, bounded by entries (LRU), with one parse for
// concurrent requests of one key; Flux parses the index per chart, which is
// where its memory goes on large indexes. Resolve picks a version with
// Helm's rules and DownloadChart fetches the archive (relative URLs resolved
// against the repository URL, credentials only to the repository's host
// unless PassCredentials, bounded by MaxChartSize, checked against the
// index's digest).
//
// OCI registries (go-containerregistry): ResolveOCI lists the tags of
// <url>/<chart> ("_" in a tag means "+") and resolves a semver range;
// PullOCI pulls the chart layer and returns it with the manifest digest.
// Plain HTTP is used only with Insecure: go-containerregistry would fall
// back to it for loopback and private addresses on its own, Flux does not.
//
// Deviations from Flux: cloud provider credentials (spec.provider aws,
// azure, gcp) are not implemented; URLs with userinfo are refused instead of
// used. Every error is scrubbed of URL userinfo and of the password.
package repository
