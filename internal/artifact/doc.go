// Package artifact stores, serves and fetches source artifacts: the
// deterministic tar.gz snapshots a source controller makes of a checkout and
// a consumer (a Kustomization) unpacks to build from.
//
// Storage writes archives below a root directory at
// "<kind>/<namespace>/<name>/<digest hex>.tar.gz", serves them over HTTP
// (Handler) at "http://<hostname>/<path>", and garbage-collects them. The
// archive of a directory is reproducible: sorted entries, zeroed times and
// owners, regular files and directories only, no .git, and symlinks followed
// only when they stay inside the directory. WithFilter leaves out what a
// Filter matches; IgnoreFilter builds the one Flux's source-controller uses
// (.sourceignore files, spec.ignore, the default exclusions), on go-git's
// gitignore matcher. CopyToPath copies (part of) another artifact into a
// tree, confined to it, for GitRepository spec.include.
//
// Fetcher gets an artifact back: from its own Storage without HTTP when the
// URL is served by it (one process, in-process hand-off), else over HTTP with
// a size limit. It verifies the digest and unpacks with Untar, which refuses
// path traversal, absolute paths, links that escape and oversized archives.
// Cache sits in front of a Fetcher for consumers that read a tree: it
// unpacks each digest once and shares the directory, read-only, between the
// reconciliations that read it.
package artifact
