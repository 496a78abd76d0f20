// Package bucket reconciles Bucket objects of the generic (S3-compatible)
// provider: it lists the objects under spec.prefix, leaves out what the
// bucket's root .sourceignore and spec.ignore exclude, and digests the
// keys and ETags of the rest into the revision, as Flux's
// source-controller does. When that revision is the stored artifact's
// nothing is downloaded; otherwise every object is downloaded into a
// confined temporary directory, bounded in count and total size, and
// archived as the artifact.
//
// Object keys that are absolute, hold ".." or "." segments, empty
// segments, backslashes or NULs are refused by name, before anything is
// downloaded: they would be written somewhere other than where the key
// says, or outside the artifact. Credentials come from spec.secretRef
// ('accesskey', 'secretkey'); spec.certSecretRef, spec.proxySecretRef and
// spec.insecure shape the connection. The cloud providers and STS are
// refused with a message until ferry supports them.
package bucket
