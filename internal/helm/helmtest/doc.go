// Package helmtest builds Helm charts and serves them the two ways a
// HelmRepository reaches them, for ferry's Helm tests.
//
// A Chart is described in Go and turned into what Helm itself would produce:
// Package gives the .tgz of `helm package` (Helm's own loader and
// chartutil.Save, entries under "<name>/"), WriteDir the unpacked chart for
// Git sources. Both are deterministic: the same Chart gives the same bytes,
// so the same digest.
//
// HTTPRepo is a Helm HTTP chart repository on loopback (index.yaml and the
// archives, optional basic auth and TLS, a request counter and an outage
// switch). Registry is an in-process OCI registry (go-containerregistry's
// pkg/registry, optional basic auth) that charts are pushed to the way
// `helm push` does: a thin test wrapper of internal/chartregistry, which
// ferry dev uses too.
//
// Every constructor taking a testing.TB closes its server in t.Cleanup; the
// Start* variants return the server and an error for a TestMain, and the
// caller closes it.
package helmtest
