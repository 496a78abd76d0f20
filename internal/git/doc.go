// Package git fetches Git repositories over smart HTTP(S) with go-git.
//
// Clone makes a shallow single-branch (or tag) checkout into a directory and
// returns the commit it checked out; RemoteRevision asks the remote which
// commit a branch or tag points to without fetching objects, so a reconciler
// can skip a clone when nothing changed. Revisions use Flux's format,
// "<branch>@sha1:<hex>".
//
// Credentials come from a Kubernetes Secret (AuthFromSecret). Errors returned
// by this package never contain them: URLs are redacted and secret values are
// scrubbed from messages, while errors.Is still reports the kind of failure
// (ErrAuthenticationFailed, ErrRepositoryNotFound, ErrReferenceNotFound,
// ErrInvalidURL).
package git
