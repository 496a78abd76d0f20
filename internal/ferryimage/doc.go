// Package ferryimage builds ferry's container image without a container
// runtime: one layer on scratch holding the static ferry binary, a CA
// bundle, /etc/passwd and /etc/group with the nonroot user (65532) the
// install Deployment runs as, and an empty /tmp.
//
// The build is reproducible: the same binary, CA bundle, options and Go
// toolchain give the same digest, because every tar entry has a fixed
// mtime (Options.Created), uid and gid 0 and no PAX timestamps, the entries
// are sorted, and gzip (compress/gzip, which writes no name or time in its
// header) is deterministic for a given input and level.
//
// Build returns one platform's image; Index joins several into an OCI image
// index. hack/image compiles ferry per platform, calls both and writes an OCI
// image layout (and optionally pushes it).
package ferryimage
