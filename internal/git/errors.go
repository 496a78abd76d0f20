package git

import (
	"errors"
	"regexp"
	"strings"

	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/transport"
)

// Kinds of failure that errors returned by this package report through
// errors.Is.
var (
	// ErrAuthenticationFailed means the remote refused the credentials, or
	// asked for credentials that were not given.
	ErrAuthenticationFailed = errors.New("authentication failed")
	// ErrRepositoryNotFound means the remote has no repository at the URL.
	ErrRepositoryNotFound = errors.New("repository not found")
	// ErrReferenceNotFound means the branch or tag does not exist.
	ErrReferenceNotFound = errors.New("reference not found")
	// ErrInvalidURL means the URL cannot be used: it does not parse or its
	// scheme is not supported. Retrying will not help.
	ErrInvalidURL = errors.New("invalid URL")
	// ErrInvalidAuth means the credentials cannot be used with the URL: a
	// key is missing (an ssh URL without 'identity' or 'known_hosts') or
	// does not parse.
	ErrInvalidAuth = errors.New("invalid authentication options")
	// ErrHostKeyVerification means the ssh server's host key is not in
	// known_hosts or does not match it.
	ErrHostKeyVerification = errors.New("host key verification failed")
	// ErrInvalidReference means spec.ref cannot be used as written, e.g. a
	// semver range that does not parse. Retrying will not help.
	ErrInvalidReference = errors.New("invalid reference")
)

// scrubbedError carries a message with every credential removed. It keeps
// the original error for errors.Is but does not expose it through Unwrap,
// so no caller can reach the unscrubbed text.
type scrubbedError struct {
	msg   string
	cause error
}

func (e *scrubbedError) Error() string { return e.msg }

// Is reports whether the original error is target, or is of the kind
// target names.
func (e *scrubbedError) Is(target error) bool {
	switch target {
	case ErrAuthenticationFailed:
		return errors.Is(e.cause, transport.ErrAuthenticationRequired) ||
			errors.Is(e.cause, transport.ErrAuthorizationFailed) ||
			errors.Is(e.cause, transport.ErrInvalidAuthMethod) ||
			(e.cause != nil && strings.Contains(e.cause.Error(), "ssh: unable to authenticate"))
	case ErrHostKeyVerification:
		return errors.Is(e.cause, ErrHostKeyVerification) ||
			(e.cause != nil && strings.Contains(e.cause.Error(), ErrHostKeyVerification.Error()))
	case ErrRepositoryNotFound:
		return errors.Is(e.cause, transport.ErrRepositoryNotFound)
	case ErrReferenceNotFound:
		return errors.Is(e.cause, gogit.NoMatchingRefSpecError{}) ||
			errors.Is(e.cause, plumbing.ErrReferenceNotFound)
	}
	return errors.Is(e.cause, target)
}

// userinfoRE matches the userinfo of a URL anywhere in a text.
var userinfoRE = regexp.MustCompile(`([a-zA-Z][a-zA-Z0-9+.-]*://)[^/?#\s@"']*@`)

// minScrubLen is the shortest secret scrubbed by value; shorter values would
// mangle ordinary words, and URLs are redacted regardless.
const minScrubLen = 4

// scrub removes userinfo from any URL in msg and replaces every secret of at
// least minScrubLen bytes with "***".
func scrub(msg string, secrets ...string) string {
	msg = userinfoRE.ReplaceAllString(msg, "$1")
	for _, s := range secrets {
		if len(s) >= minScrubLen {
			msg = strings.ReplaceAll(msg, s, "***")
		}
	}
	return msg
}

// sanitize returns err with its message scrubbed of credentials and prefixed
// with prefix ("" for none). It returns nil for nil.
func sanitize(err error, prefix string, secrets ...string) error {
	if err == nil {
		return nil
	}
	msg := tidy(err.Error())
	if prefix != "" {
		msg = prefix + ": " + msg
	}
	return &scrubbedError{msg: scrub(msg, secrets...), cause: err}
}

// tidy trims msg and drops empty and repeated ": "-separated parts, which
// go-git produces when a server's reason repeats the error ("authentication
// required: authentication required") or is empty ("repository not found: ").
func tidy(msg string) string {
	parts := strings.Split(strings.TrimSpace(msg), ": ")
	out := parts[:0]
	for _, p := range parts {
		p = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(p), ":"))
		if p == "" || (len(out) > 0 && strings.EqualFold(out[len(out)-1], p)) {
			continue
		}
		out = append(out, p)
	}
	return strings.Join(out, ": ")
}
