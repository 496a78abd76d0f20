package git

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/Masterminds/semver/v3"
	"github.com/go-git/go-git/v5/plumbing"
)

// fuzzPassword is what the URL fuzz targets accept as a password: long
// enough to be told apart from the rest of a message.
var fuzzPassword = regexp.MustCompile(`^[A-Za-z0-9]{6,64}$`)

// fuzzUser is a user name as URLs write it: no separator, space or quote.
var fuzzUser = regexp.MustCompile(`^[^:@/?#\s"']*$`)

// fuzzScheme is a syntactically valid URL scheme (RFC 3986).
var fuzzScheme = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]{0,15}$`)

// credentialURL builds scheme://user:pass@rest, or user:pass@rest with
// bare set, and reports whether pass is a password the targets can look
// for: valid, and not also written in the other parts.
func credentialURL(scheme, user, pass, rest string, bare bool) (string, bool) {
	if !fuzzPassword.MatchString(pass) || !fuzzUser.MatchString(user) ||
		strings.Contains(scheme+user+rest, pass) {
		return "", false
	}
	raw := user + ":" + pass + "@" + rest
	if !bare {
		if !fuzzScheme.MatchString(scheme) {
			return "", false
		}
		raw = scheme + "://" + raw
	}
	return raw, true
}

// FuzzRedactURL checks that neither RedactURL nor ValidateURL's error ever
// repeats the password of a URL's userinfo, whatever surrounds it, and
// that scrub removes it from any text quoting such a URL.
func FuzzRedactURL(f *testing.F) {
	for _, s := range [][4]string{
		{"https", "user", "s3cretpw", "github.com/org/repo"},
		{"ssh", "git", "hunter22", "github.com:22/org/repo.git"},
		{"http", "u", "passw0rd", "[::1]:80/x"},
		{"https", "u", "passw0rd", "host/p?q=1#f"},
		{"https", "", "t0kenvalue", "host with space/x"},
		{"HTTPS", "u", "pa55word", "%zz/bad-escape"},
		{"https", "user", "s3cretpw", "github.com/org/repo@x"},
	} {
		f.Add(s[0], s[1], s[2], s[3], false)
		f.Add(s[0], s[1], s[2], s[3], true)
	}
	f.Fuzz(func(t *testing.T, scheme, user, pass, rest string, bare bool) {
		raw, ok := credentialURL(scheme, user, pass, rest, bare)
		if !ok {
			return
		}
		// Escaping the rest may write the password's characters
		// ("\xe0" + "0000000" is "%E00000000"): skip such a password.
		without := rest
		if !bare {
			without = scheme + "://" + rest
		}
		if strings.Contains(strings.ToLower(RedactURL(without)), strings.ToLower(pass)) {
			return
		}
		if got := RedactURL(raw); strings.Contains(got, pass) {
			t.Fatalf("RedactURL(%q) = %q keeps the password", raw, got)
		}
		if err := ValidateURL(raw); err != nil {
			if !errors.Is(err, ErrInvalidURL) {
				t.Fatalf("ValidateURL(%q) = %v, which is not ErrInvalidURL", raw, err)
			}
			if strings.Contains(err.Error(), pass) {
				t.Fatalf("ValidateURL(%q) = %q repeats the password", raw, err)
			}
		}
		if !bare {
			msg := "fetching '" + raw + "': failed"
			if got := scrub(msg); strings.Contains(got, pass) {
				t.Fatalf("scrub(%q) = %q keeps the password", msg, got)
			}
		}
	})
}

// FuzzValidateURL checks that an accepted URL is one Clone can fetch: its
// scheme is http, https or ssh and it has a host; a refusal is
// ErrInvalidURL.
func FuzzValidateURL(f *testing.F) {
	for _, s := range []string{"https://github.com/org/repo", "ssh://git@github.com/org/repo", "git@github.com:org/repo.git",
		"file:///srv/repo", "https:///nohost", "HTTPS://h/x", "http://[::1", "ssh://h:99999/x", ""} {
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
		if got := RedactURL(raw); ValidateURL(got) != nil {
			t.Fatalf("ValidateURL accepts %q but not its redaction %q", raw, got)
		}
	})
}

// FuzzRevision checks that a revision names its hash where Flux's
// consumers look for it: after the last "@sha1:" or as "sha1:<hash>".
func FuzzRevision(f *testing.F) {
	for _, s := range [][2]string{{"refs/heads/main", "1f0c"}, {"main", "abc"}, {"", "abc"}, {"refs/tags/v1.0.0", "00"}, {"refs/pull/1/head", "ff"}, {"refs/heads/a@sha1:b", "c"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, ref, hash string) {
		got := Revision(ref, hash)
		if !strings.HasSuffix(got, "sha1:"+hash) {
			t.Fatalf("Revision(%q, %q) = %q does not end in sha1:<hash>", ref, hash, got)
		}
		if ref == "" && got != "sha1:"+hash {
			t.Fatalf("Revision(\"\", %q) = %q, want sha1:<hash>", hash, got)
		}
		if ref != "" && !strings.HasSuffix(got, "@sha1:"+hash) {
			t.Fatalf("Revision(%q, %q) = %q has no @sha1:<hash>", ref, hash, got)
		}
	})
}

// FuzzHighestSemVerTag checks that the chosen tag exists, is a version in
// the range, and that no other tag in the range is higher; a bad range is
// ErrInvalidReference.
func FuzzHighestSemVerTag(f *testing.F) {
	f.Add("v1.0.0\nv1.2.0\n1.2.0\nmain\nv2.0.0-rc.1", ">=1.0.0 <2.0.0")
	f.Add("v1.0.0", "~1")
	f.Add("1.0.0+build\n1.0.0", "*")
	f.Add("v0.0.1", "not a range")
	f.Add("", "^0")
	f.Fuzz(func(t *testing.T, tags, rng string) {
		refs := map[string]plumbing.Hash{}
		for i, tag := range strings.Split(tags, "\n") {
			refs["refs/tags/"+tag] = plumbing.Hash{byte(i)}
		}
		refs["refs/heads/"+tags] = plumbing.Hash{0xff}
		name, hash, err := highestSemVerTag(refs, rng)
		constraint, cerr := semver.NewConstraint(rng)
		if cerr != nil {
			if !errors.Is(err, ErrInvalidReference) {
				t.Fatalf("range %q does not parse (%v) but highestSemVerTag = %v", rng, cerr, err)
			}
			return
		}
		if err != nil {
			return
		}
		if got, ok := refs[name.String()]; !ok || got != hash || !name.IsTag() {
			t.Fatalf("highestSemVerTag chose %s (%s), which is not one of the tags", name, hash)
		}
		best, err := semver.NewVersion(name.Short())
		if err != nil || !constraint.Check(best) {
			t.Fatalf("highestSemVerTag chose %s, which is not a version in %q", name, rng)
		}
		for ref := range refs {
			r := plumbing.ReferenceName(ref)
			if v, err := semver.NewVersion(r.Short()); err == nil && r.IsTag() && constraint.Check(v) && v.GreaterThan(best) {
				t.Fatalf("highestSemVerTag chose %s but %s is higher", name, r)
			}
		}
	})
}
