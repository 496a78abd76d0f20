// Package oci is ferry's client of OCI registries for sources: it turns an
// oci:// URL and the credentials, TLS and proxy settings of a source's
// spec into go-containerregistry remote options, resolves a reference
// (tag, semver range, digest) to a digest with one HEAD of the manifest,
// and reads the Docker config Secrets (kubernetes.io/dockerconfigjson) of
// spec.secretRef and of a ServiceAccount's imagePullSecrets as a keychain.
//
// Plain HTTP is used only when the caller allows it (spec.insecure):
// go-containerregistry falls back to http for loopback and private
// addresses on its own, Flux does not.
package oci
