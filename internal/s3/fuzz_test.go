package s3_test

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/ferrycd/ferry/internal/s3"
)

// FuzzParseEndpoint checks that an accepted endpoint is a bare
// host[:port] (no scheme, path, query or userinfo left in it), HTTPS
// unless insecure, and that a refusal is ErrInvalidEndpoint or
// ErrPlainHTTP.
func FuzzParseEndpoint(f *testing.F) {
	for _, s := range []string{"s3.example.com", "127.0.0.1:9000", "https://s3.example.com", "http://minio:9000",
		"https://s3.example.com/bucket", "https://user:pw@s3.example.com", "s3.example.com/bucket", "ftp://h",
		"", "https://h/", "https://[::1]:9000", "HTTPS://h", "https://h?x", "https://:9000", "u:p@h"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, endpoint string, insecure bool) {
		host, secure, err := s3.ParseEndpoint(endpoint, insecure)
		if err != nil {
			if !errors.Is(err, s3.ErrInvalidEndpoint) && !errors.Is(err, s3.ErrPlainHTTP) {
				t.Fatalf("ParseEndpoint(%q) = %v, which is neither ErrInvalidEndpoint nor ErrPlainHTTP", endpoint, err)
			}
			if host != "" || secure {
				t.Fatalf("ParseEndpoint(%q) failed but returned %q, %v", endpoint, host, secure)
			}
			return
		}
		if host == "" || strings.ContainsAny(host, "/?#@ ") {
			t.Fatalf("ParseEndpoint(%q) = host %q, which is not host[:port]", endpoint, host)
		}
		if !insecure && !secure {
			t.Fatalf("ParseEndpoint(%q) is plain HTTP without insecure", endpoint)
		}
	})
}

// fuzzPassword is what FuzzEndpointCredentials accepts as a password:
// long enough to be told apart from the rest of a message.
var fuzzPassword = regexp.MustCompile(`^[A-Za-z0-9]{6,64}$`)

// fuzzUser is a user name as URLs write it: no separator, space or quote.
var fuzzUser = regexp.MustCompile(`^[^:@/?#\s"']*$`)

// fuzzScheme is no scheme or a syntactically valid one (RFC 3986) and
// "://".
var fuzzScheme = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9+.-]{0,15}://)?$`)

// FuzzEndpointCredentials checks that the refusal of an endpoint with
// userinfo, with or without a scheme, never repeats its password: the
// message ends up in the Bucket's status and events.
func FuzzEndpointCredentials(f *testing.F) {
	for _, s := range [][3]string{{"https://", "user", "s3cretpw"}, {"http://", "", "t0kenvalue"}, {"", "key", "s3cretpw"}, {"ftp://", "u", "passw0rd"}} {
		f.Add(s[0], s[1], s[2], "s3.example.com", false)
		f.Add(s[0], s[1], s[2], "s3.example.com/bucket?x=1", true)
	}
	f.Fuzz(func(t *testing.T, scheme, user, pass, rest string, insecure bool) {
		if !fuzzScheme.MatchString(scheme) || !fuzzPassword.MatchString(pass) || !fuzzUser.MatchString(user) ||
			strings.Contains(scheme+user+rest, pass) {
			return
		}
		endpoint := scheme + user + ":" + pass + "@" + rest
		if _, _, err := s3.ParseEndpoint(endpoint, insecure); err == nil {
			t.Fatalf("ParseEndpoint(%q) accepted credentials", endpoint)
		} else if strings.Contains(err.Error(), pass) {
			t.Fatalf("ParseEndpoint(%q) = %q repeats the password", endpoint, err)
		}
	})
}
