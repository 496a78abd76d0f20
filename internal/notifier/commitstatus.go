package notifier

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/ferrycd/ferry/internal/events"
)

// Helpers the commit status payloads (github.go, gitlab.go, gitea.go,
// bitbucket.go) and the incident and annotation payloads (opsgenie.go,
// pagerduty.go, alertmanager.go, grafana.go) share.

// csProgressingReason is the reason of the events a reconciliation in
// progress records (Flux's meta.ProgressingReason).
const csProgressingReason = "Progressing"

// csState is the state a commit status reports, before each service
// names it its own way.
type csState int

const (
	csSuccess csState = iota
	csFailure
	csPending
)

// csCommit returns the commit e is about and the state to report on it;
// ok is false when nothing should be sent: the event names no commit, it
// is a trace event, or it reports progress and skipProgressing is set
// (GitHub and GitLab, as Flux: a pending status would linger until the
// next success or failure anyway).
func csCommit(e Event, skipProgressing bool) (sha string, state csState, ok bool) {
	sha = CommitSHA(e)
	if sha == "" {
		return "", 0, false
	}
	switch {
	case isError(e):
		return sha, csFailure, true
	case e.Severity != events.SeverityInfo:
		return "", 0, false
	case e.Reason == csProgressingReason:
		if skipProgressing {
			return "", 0, false
		}
		return sha, csPending, true
	default:
		return sha, csSuccess, true
	}
}

// csDescription is the description of a commit status: the Provider's
// commitStatusExpr result when it has one, else the event's message, on
// one line and cut to limit runes (no limit when limit is 0).
func csDescription(o Options, e Event, limit int) string {
	d := o.CommitStatus
	if d == "" {
		d = e.Message
	}
	return csLimit(strings.Join(strings.Fields(d), " "), limit)
}

// csLimit cuts s to at most n runes, ending the cut with "..."; n <= 0
// keeps s whole.
func csLimit(s string, n int) string {
	if n <= 0 {
		return s
	}
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	if n <= 3 {
		return string(r[:n])
	}
	return string(r[:n-3]) + "..."
}

// csRepo is the repository a commit status Provider's address names.
type csRepo struct {
	// scheme and host (with its port) of the address.
	scheme, host string
	// segments are the path's segments, without a trailing ".git":
	// owner and repository, or GitLab's groups and project.
	segments []string
}

// web is the repository's page, the address without credentials or
// ".git".
func (r csRepo) web() string {
	return r.scheme + "://" + r.host + "/" + strings.Join(r.segments, "/")
}

// csParseRepo reads the repository URL of a commit status Provider of
// type typ; example is what the error shows as a valid address. Its
// errors never repeat the address.
func csParseRepo(typ, address, example string) (csRepo, error) {
	invalid := fmt.Errorf("the %s provider's address must be the repository's http(s) URL, such as %s", typ, example)
	if address == "" {
		return csRepo{}, fmt.Errorf("the %s provider needs the repository's URL as its address, such as %s", typ, example)
	}
	u, err := url.Parse(address)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return csRepo{}, invalid
	}
	if u.User != nil {
		return csRepo{}, fmt.Errorf("the %s provider's address must not carry credentials; put the token in the Provider's Secret", typ)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return csRepo{}, invalid
	}
	path := strings.TrimSuffix(strings.Trim(u.Path, "/"), ".git")
	var segments []string
	for _, s := range strings.Split(path, "/") {
		if s == "" || s == "." || s == ".." {
			return csRepo{}, invalid
		}
		segments = append(segments, s)
	}
	if len(segments) < 2 {
		return csRepo{}, invalid
	}
	return csRepo{scheme: u.Scheme, host: u.Host, segments: segments}, nil
}

// csNeedToken is the factory error of a commit status type without a
// token.
func csNeedToken(typ, token string) error {
	if token == "" {
		return fmt.Errorf("the %s provider needs a token: set the token key of the Provider's Secret (spec.secretRef)", typ)
	}
	return nil
}

// csCheckURL is the factory error of a type posted to address when that
// is not an http(s) URL; it never repeats the address, whose path may be
// a credential.
func csCheckURL(typ, address string) error {
	if address == "" {
		return fmt.Errorf("the %s provider needs an address: set spec.address or the Secret's address key", typ)
	}
	u, err := url.Parse(address)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("the %s provider's address is not a valid http(s) URL", typ)
	}
	return nil
}

// csBasicAuth is the Authorization header value of HTTP basic
// authentication.
func csBasicAuth(username, password string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(username+":"+password))
}

// csTimestamp is the event's time in RFC 3339 (UTC), or "" when it has
// none.
func csTimestamp(e Event) string {
	if e.Timestamp.IsZero() {
		return ""
	}
	return e.Timestamp.UTC().Format(time.RFC3339)
}

// bearerOrBasic is the Authorization of the services that take either a
// token (as a bearer token) or a username and password.
func bearerOrBasic(o Options) map[string]string {
	headers := map[string]string{}
	switch {
	case o.Token != "":
		headers["Authorization"] = "Bearer " + o.Token
	case o.Username != "" && o.Password != "":
		headers["Authorization"] = csBasicAuth(o.Username, o.Password)
	}
	return headers
}
