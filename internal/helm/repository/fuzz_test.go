package repository

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// FuzzFetchIndex serves arbitrary bytes as index.yaml: FetchIndex never
// panics, refuses what is over MaxIndexSize, and what it returns parses
// again to the same revision.
func FuzzFetchIndex(f *testing.F) {
	f.Add([]byte("apiVersion: v1\nentries:\n  a:\n  - name: a\n    version: 1.0.0\n    urls: [a-1.0.0.tgz]\n"))
	f.Add([]byte(`{"apiVersion":"v1","entries":{"a":[{"name":"a","version":"2.0.0"},{"name":"a","version":"1.0.0"}]}}`))
	f.Add([]byte("apiVersion: v1\nentries:\n  a:\n  - null\n  - {}\n  - name: a\n    version: x\n"))
	f.Add([]byte("apiVersion: v1\ngenerated: 2026-01-01T00:00:00Z\nentries: {}\n"))
	f.Add([]byte("entries: {a: [{name: a, version: '1', dependencies: [{name: b}, {name: b}]}]}\napiVersion: v1\n"))

	var bodies sync.Map
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var n int
		if _, err := fmt.Sscanf(r.URL.Path, "/%d/index.yaml", &n); err != nil {
			http.NotFound(w, r)
			return
		}
		body, ok := bodies.Load(n)
		if !ok {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write(body.([]byte))
	}))
	f.Cleanup(srv.Close)
	var seq atomic.Int64
	const max = 4096

	f.Fuzz(func(t *testing.T, body []byte) {
		n := int(seq.Add(1))
		bodies.Store(n, body)
		defer bodies.Delete(n)
		opts := Options{URL: fmt.Sprintf("%s/%d", srv.URL, n), MaxIndexSize: max}
		data, revision, err := FetchIndex(context.Background(), opts)
		if len(body) > max {
			if !errors.Is(err, ErrTooLarge) {
				t.Fatalf("%d bytes over the limit: %v", len(body), err)
			}
			return
		}
		if err != nil {
			return
		}
		index, err := ParseIndex(data)
		if err != nil {
			t.Fatalf("normalized index does not parse: %v\n%s", err, data)
		}
		_, again, err := NormalizeIndex(index)
		if err != nil || again != revision {
			t.Fatalf("normalizing twice changed the revision: %s %s %v", revision, again, err)
		}
	})
}

// FuzzValidateURL checks that an accepted repository URL has the scheme
// http, https or oci, a host and no userinfo, and that a refusal is
// ErrInvalidURL.
func FuzzValidateURL(f *testing.F) {
	for _, s := range []string{"https://charts.example.com", "oci://ghcr.io/org/charts", "http://127.0.0.1:8080/sub/",
		"https://u:p@charts.example.com", "ftp://h", "oci://h/x?y", "https:///x", "https:h", "http://[::1", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		err := ValidateURL(raw)
		if err != nil {
			if !errors.Is(err, ErrInvalidURL) {
				t.Fatalf("ValidateURL(%q) = %v, which is not ErrInvalidURL", raw, err)
			}
			return
		}
		u, err := url.Parse(raw)
		if err != nil || u.Host == "" || u.User != nil || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "oci") {
			t.Fatalf("ValidateURL accepted %q", raw)
		}
	})
}

// fuzzPassword is what FuzzURLCredentials accepts as a password: long
// enough to be told apart from the rest of a message.
var fuzzPassword = regexp.MustCompile(`^[A-Za-z0-9]{6,64}$`)

// fuzzUser is a user name as URLs write it: no separator, space or quote.
var fuzzUser = regexp.MustCompile(`^[^:@/?#\s"']*$`)

// fuzzScheme is no scheme or a syntactically valid one (RFC 3986), with
// its ':' and, optionally, "//".
var fuzzScheme = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9+.-]{0,15}:(//)?)?$`)

// FuzzURLCredentials checks that ValidateURL refuses a URL with userinfo
// and that neither its refusal nor ChartURL's repeats the password, with
// or without a scheme ("user:pass@host" too).
func FuzzURLCredentials(f *testing.F) {
	for _, s := range [][4]string{{"https://", "user", "s3cretpw", "charts.example.com"}, {"oci://", "", "t0kenvalue", "ghcr.io/c"},
		{"", "user", "s3cretpw", "charts.example.com/x"}, {"ftp://", "u", "passw0rd", "h"}, {"https:", "u", "passw0rd", "h"},
		{"https://", "u", "passw0rd", "h@x/y z"}} {
		f.Add(s[0], s[1], s[2], s[3])
	}
	f.Fuzz(func(t *testing.T, scheme, user, pass, rest string) {
		if !fuzzScheme.MatchString(scheme) || !fuzzPassword.MatchString(pass) || !fuzzUser.MatchString(user) ||
			strings.Contains(scheme+user+rest, pass) {
			return
		}
		raw := scheme + user + ":" + pass + "@" + rest
		if err := ValidateURL(raw); err == nil {
			if u, _ := url.Parse(raw); u == nil || u.User != nil {
				t.Fatalf("ValidateURL(%q) accepted credentials", raw)
			}
		} else if strings.Contains(err.Error(), pass) {
			t.Fatalf("ValidateURL(%q) = %q repeats the password", raw, err)
		}
		if _, err := ChartURL("https://charts.example.com/", raw); err != nil && strings.Contains(err.Error(), pass) {
			t.Fatalf("ChartURL(_, %q) = %q repeats the password", raw, err)
		}
	})
}

// FuzzChartURL checks that a chart URL of an index resolves to an http(s)
// URL without userinfo, and that a chart URL without a host of its own
// stays on the repository's host.
func FuzzChartURL(f *testing.F) {
	for _, s := range [][2]string{{"https://charts.example.com/sub", "app-1.0.0.tgz"}, {"https://h/", "https://cdn.example.com/a.tgz"},
		{"https://h/?token=x", "a.tgz"}, {"https://h/a", "../../../a.tgz"}, {"https://h", "//evil.example.com/a.tgz"},
		{"http://h:8080", "/abs/a.tgz?x=1"}, {"https://h", "file:///etc/passwd"}, {"https://h", "https://u:p@h/a.tgz"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, repoURL, chartURL string) {
		base, err := url.Parse(repoURL)
		if err != nil || ValidateURL(repoURL) != nil || base.Scheme == "oci" {
			return
		}
		got, err := ChartURL(repoURL, chartURL)
		if err != nil {
			return
		}
		if got.Scheme != "http" && got.Scheme != "https" {
			t.Fatalf("ChartURL(%q, %q) = %s, which is not http(s)", repoURL, chartURL, got)
		}
		if got.User != nil {
			t.Fatalf("ChartURL(%q, %q) = %s carries userinfo", repoURL, chartURL, got.Redacted())
		}
		if ref, _ := url.Parse(chartURL); ref != nil && ref.Host == "" && !ref.IsAbs() && got.Host != base.Host {
			t.Fatalf("ChartURL(%q, %q) = %s left the repository's host", repoURL, chartURL, got)
		}
	})
}
