package git

import (
	"fmt"
	"net/url"
	"strings"
)

// RedactURL returns raw without its userinfo (user name and password), so it
// can be shown in messages. Text that does not parse as a URL has anything
// that looks like userinfo removed.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return scrub(raw)
	}
	if u.User == nil {
		return raw
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
