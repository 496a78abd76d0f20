// Package git fetches Git repositories over smart HTTP(S) and ssh with go-git.
//
// Clone checks a reference out into a directory and returns the commit it
// checked out: a branch, tag, semver range (the highest matching tag) or any
// named reference is fetched shallow, a commit with the history of its
// branch; precedence and revision strings are Flux's ("main@sha1:<hex>",
// "v1.2.3@sha1:<hex>", "refs/pull/1/head@sha1:<hex>", "sha1:<hex>").
// RemoteRevision asks the remote which commit the reference points to
// without fetching objects, so a reconciler can skip a clone when nothing
// changed.
//
// Credentials come from a Kubernetes Secret (AuthFromSecret): basic auth,
// bearer token, CA and client certificates for https, an identity and
// known_hosts for ssh (the host key is always verified). Errors returned
// by this package never contain them: URLs are redacted and secret values are
// scrubbed from messages, while errors.Is still reports the kind of failure
// (ErrAuthenticationFailed, ErrRepositoryNotFound, ErrReferenceNotFound,
// ErrInvalidURL).
package git
