package git

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/transport"
)

func TestTidy(t *testing.T) {
	tests := map[string]string{
		"authentication required: authentication required\n": "authentication required",
		"repository not found: ":                             "repository not found",
		"a: b: b: c":                                         "a: b: c",
		`Get "http://h/x": dial tcp: refused`:                `Get "http://h/x": dial tcp: refused`,
		"":                                                   "",
	}
	for in, want := range tests {
		if got := tidy(in); got != want {
			t.Errorf("tidy(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestScrub(t *testing.T) {
	tests := map[string]struct {
		in      string
		secrets []string
		want    string
	}{
		"url userinfo":        {in: `Get "https://user:pa55@host/x": eof`, want: `Get "https://host/x": eof`},
		"url user only":       {in: "clone http://tok3n@host/x failed", want: "clone http://host/x failed"},
		"escaped userinfo":    {in: "http://u:p%40ss@host/x", want: "http://host/x"},
		"two urls":            {in: "http://a:b@h1/ and https://c:d@h2/", want: "http://h1/ and https://h2/"},
		"secret by value":     {in: "server said: bad password hunter22", secrets: []string{"hunter22"}, want: "server said: bad password ***"},
		"short secret kept":   {in: "abc def", secrets: []string{"abc"}, want: "abc def"},
		"empty secret":        {in: "nothing", secrets: []string{""}, want: "nothing"},
		"email is not a url":  {in: "author a@b.c", want: "author a@b.c"},
		"no scheme no change": {in: "host:22", want: "host:22"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := scrub(tt.in, tt.secrets...); got != tt.want {
				t.Errorf("scrub(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestSanitizeKinds(t *testing.T) {
	tests := map[string]struct {
		cause error
		kind  error
	}{
		"auth required":  {cause: fmt.Errorf("%w: x", transport.ErrAuthenticationRequired), kind: ErrAuthenticationFailed},
		"auth forbidden": {cause: fmt.Errorf("%w: x", transport.ErrAuthorizationFailed), kind: ErrAuthenticationFailed},
		"repo not found": {cause: fmt.Errorf("%w: x", transport.ErrRepositoryNotFound), kind: ErrRepositoryNotFound},
		"ref not found":  {cause: plumbing.ErrReferenceNotFound, kind: ErrReferenceNotFound},
		"original":       {cause: transport.ErrEmptyRemoteRepository, kind: transport.ErrEmptyRemoteRepository},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			err := sanitize(tt.cause, "prefix")
			if !errors.Is(err, tt.kind) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.kind)
			}
			if errors.Unwrap(err) != nil {
				t.Error("sanitized error unwraps to the unscrubbed cause")
			}
			if !strings.HasPrefix(err.Error(), "prefix: ") {
				t.Errorf("message %q lacks the prefix", err)
			}
		})
	}
	if sanitize(nil, "x") != nil {
		t.Error("sanitize(nil) != nil")
	}
}
