package git

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// bareUserinfoRE matches a "user:password@" that starts a text without
// "//" before it ("user:token@github.com/org/repo", "https:/u:p@host"),
// which url.Parse reads as a scheme and an opaque part or a path, not as
// userinfo. A user name without a password ("git@github.com:org/repo")
// is left alone.
var bareUserinfoRE = regexp.MustCompile(`^((?:[a-zA-Z][a-zA-Z0-9+.-]*:)?/?)[^/?#\s@"':]*:[^/?#\s@"']*@`)

// RedactURL returns raw without its userinfo (user name and password), so it
// can be shown in messages. Text that does not parse as a URL, or parses
// without userinfo, has anything that looks like userinfo removed.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return bareUserinfoRE.ReplaceAllString(scrub(raw), "$1")
	}
	if u.User == nil {
		return bareUserinfoRE.ReplaceAllString(raw, "$1")
	}
	u.User = nil
	return u.String()
}

// ValidateURL reports whether raw is a URL Clone can fetch: http, https or
// ssh with a host. Errors match ErrInvalidURL and name only the redacted URL.
func ValidateURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return &scrubbedError{msg: fmt.Sprintf("invalid URL '%s': cannot be parsed", RedactURL(raw)), cause: ErrInvalidURL}
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https", "ssh":
	default:
		return &scrubbedError{msg: fmt.Sprintf("invalid URL '%s': scheme must be http, https or ssh", RedactURL(raw)), cause: ErrInvalidURL}
	}
	if u.Host == "" {
		return &scrubbedError{msg: fmt.Sprintf("invalid URL '%s': missing host", RedactURL(raw)), cause: ErrInvalidURL}
	}
	return nil
}
