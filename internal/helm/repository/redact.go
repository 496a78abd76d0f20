package repository

import (
	"errors"
	"regexp"
	"strings"
)

// userinfoRE matches the userinfo of a URL in a message.
var userinfoRE = regexp.MustCompile(`([a-zA-Z][a-zA-Z0-9+.-]*://)[^/?#\s@"']*@`)

// minRedactLen is the shortest password redacted by value; shorter values
// would mangle the message and are no secret worth the name.
const minRedactLen = 4

// redactURLs removes the userinfo of every URL in msg.
func redactURLs(msg string) string { return userinfoRE.ReplaceAllString(msg, "$1") }

// redactRawURL removes the userinfo of raw, a URL as it was written, also
// when no "//" precedes it ("user:pass@host", "https:user:pass@host"),
// which url.Parse and redactURLs do not read as userinfo: everything of
// its authority (up to the first '/', '?' or '#') before the last '@'.
func redactRawURL(raw string) string {
	scheme, rest := "", raw
	if i := strings.Index(raw, "://"); i >= 0 {
		scheme, rest = raw[:i+len("://")], raw[i+len("://"):]
	}
	authority := rest
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		authority = rest[:i]
	}
	if at := strings.LastIndex(authority, "@"); at >= 0 {
		return scheme + "***@" + rest[at+1:]
	}
	return raw
}

// redactedError is an error whose message was scrubbed of credentials; it
// still unwraps to the cause for errors.Is.
type redactedError struct {
	msg   string
	cause error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.cause }

// redact returns err with URL userinfo and opts' password removed from its
// message, nil for nil.
func redact(err error, opts Options) error {
	if err == nil {
		return nil
	}
	msg := redactURLs(err.Error())
	if len(opts.Password) >= minRedactLen {
		msg = strings.ReplaceAll(msg, opts.Password, "***")
	}
	var re *redactedError
	if errors.As(err, &re) && re.msg == msg {
		return err
	}
	return &redactedError{msg: msg, cause: err}
}
