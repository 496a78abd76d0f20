// Package ocirepository reconciles OCIRepository objects: it resolves
// spec.ref (a digest, the highest tag in a semver range, or a tag) to a
// manifest digest with one HEAD request, and when that digest is not the
// stored artifact's it pulls the manifest, selects a layer
// (spec.layerSelector) and stores it as the artifact: extracted and
// re-archived without what spec.ignore excludes, or copied as it is.
//
// Credentials come from a Docker config Secret (spec.secretRef) and the
// imagePullSecrets of spec.serviceAccountName; spec.certSecretRef,
// spec.proxySecretRef and spec.insecure shape the connection. Cloud
// providers and signature verification are refused with a message until
// ferry supports them, so nothing unverified is served where verification
// was asked for.
package ocirepository
