package oci

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/Masterminds/semver/v3"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// fuzzPassword is what the URL fuzz targets accept as a password: long
// enough to be told apart from the rest of a message.
var fuzzPassword = regexp.MustCompile(`^[A-Za-z0-9]{6,64}$`)

// fuzzUser is a user name as URLs write it: no separator, space or quote.
var fuzzUser = regexp.MustCompile(`^[^:@/?#\s"']*$`)

// fuzzScheme is a syntactically valid URL scheme (RFC 3986).
var fuzzScheme = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]{0,15}$`)

// FuzzParseArtifactURL checks that an accepted artifact URL has at most
// one of a valid tag and a valid digest, and that writing it back as
// oci://<repository>[:<tag>|@<digest>] parses to the same artifact; a
// refusal is ErrInvalidURL.
func FuzzParseArtifactURL(f *testing.F) {
	for _, s := range []string{"oci://ghcr.io/org/app:v1", "oci://localhost:5000/app@sha256:" + strings.Repeat("a", 64),
		"oci://ghcr.io/org/app", "oci://ghcr.io/org/app:", "oci://u:p@ghcr.io/x", "oci://ghcr.io", "https://ghcr.io/x",
		"oci://GHCR.io/Org/App:tag", "oci://h/a/:t", "oci://h:/a", "oci://[::1]:5000/a:b@sha256:00"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, raw string, insecure bool) {
		u, err := ParseArtifactURL(raw, insecure)
		if err != nil {
			if !errors.Is(err, ErrInvalidURL) {
				t.Fatalf("ParseArtifactURL(%q) = %v, which is not ErrInvalidURL", raw, err)
			}
			return
		}
		if u.Tag != "" && u.Digest != "" {
			t.Fatalf("ParseArtifactURL(%q) has both tag %q and digest %q", raw, u.Tag, u.Digest)
		}
		if u.Tag != "" && !validTag.MatchString(u.Tag) {
			t.Fatalf("ParseArtifactURL(%q) accepted the tag %q", raw, u.Tag)
		}
		if u.Digest != "" {
			if _, err := v1.NewHash(u.Digest); err != nil {
				t.Fatalf("ParseArtifactURL(%q) accepted the digest %q: %v", raw, u.Digest, err)
			}
		}
		again := Prefix + u.Repository.Name()
		switch {
		case u.Tag != "":
			again += ":" + u.Tag
		case u.Digest != "":
			again += "@" + u.Digest
		}
		v, err := ParseArtifactURL(again, insecure)
		if err != nil {
			t.Fatalf("ParseArtifactURL(%q) = %s, which does not parse again: %v", raw, again, err)
		}
		if v.Repository.Name() != u.Repository.Name() || v.Tag != u.Tag || v.Digest != u.Digest {
			t.Fatalf("ParseArtifactURL(%q) = %+v, but %q parses to %+v", raw, u, again, v)
		}
		_ = u.Reference() // must not panic
	})
}

// FuzzParseRepository checks that an accepted repository URL has no tag
// or digest and that oci://<repository name> parses to the same
// repository; a refusal is ErrInvalidURL.
func FuzzParseRepository(f *testing.F) {
	for _, s := range []string{"oci://ghcr.io/org/app", "oci://localhost:5000/app/", "oci://ghcr.io/org/app:v1",
		"oci://u:p@ghcr.io/x", "oci://ghcr.io", "oci://h/a@sha256:00", "oci://[::1]:5000/a", "oci://h/A"} {
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, raw string, insecure bool) {
		repo, err := ParseRepository(raw, insecure)
		if err != nil {
			if !errors.Is(err, ErrInvalidURL) {
				t.Fatalf("ParseRepository(%q) = %v, which is not ErrInvalidURL", raw, err)
			}
			return
		}
		again, err := ParseRepository(Prefix+repo.Name(), insecure)
		if err != nil {
			t.Fatalf("ParseRepository(%q) = %s, which does not parse again: %v", raw, repo.Name(), err)
		}
		if again.Name() != repo.Name() {
			t.Fatalf("ParseRepository(%q) = %s, but that parses to %s", raw, repo.Name(), again.Name())
		}
	})
}

// FuzzURLCredentials checks that no refusal of ParseArtifactURL or
// ParseRepository repeats the password of a URL with userinfo, whatever
// its scheme and the rest of it.
func FuzzURLCredentials(f *testing.F) {
	for _, s := range [][4]string{{"oci", "user", "s3cretpw", "ghcr.io/org/app:v1"}, {"oci", "", "t0kenvalue", "ghcr.io"},
		{"https", "user", "s3cretpw", "ghcr.io/org/app"}, {"oci", "u", "passw0rd", "h/a b"}, {"oci", "u", "passw0rd", "h/x@y/z"}} {
		f.Add(s[0], s[1], s[2], s[3])
	}
	f.Fuzz(func(t *testing.T, scheme, user, pass, rest string) {
		if !fuzzScheme.MatchString(scheme) || !fuzzPassword.MatchString(pass) || !fuzzUser.MatchString(user) ||
			strings.Contains(scheme+user+rest, pass) {
			return
		}
		raw := scheme + "://" + user + ":" + pass + "@" + rest
		if _, err := ParseArtifactURL(raw, false); err != nil && strings.Contains(err.Error(), pass) {
			t.Fatalf("ParseArtifactURL(%q) = %q repeats the password", raw, err)
		}
		if _, err := ParseRepository(raw, false); err != nil && strings.Contains(err.Error(), pass) {
			t.Fatalf("ParseRepository(%q) = %q repeats the password", raw, err)
		}
	})
}

// FuzzHighestSemVer checks that the chosen tag is one of the tags, matches
// the filter and the range, and that no other such tag is higher; a bad
// range or filter is ErrInvalidReference.
func FuzzHighestSemVer(f *testing.F) {
	f.Add("v1.0.0\nv1.2.0\n1.2.0\nlatest\nv2.0.0-rc.1", ">=1.0.0 <2.0.0", "")
	f.Add("1.0.0-dev.1\n1.0.0-dev.2", ">=1.0.0-0", `^1\.0\.0-dev`)
	f.Add("v1", "*", "(")
	f.Add("1.0.0", "nope", "")
	f.Fuzz(func(t *testing.T, tags, rng, filter string) {
		list := strings.Split(tags, "\n")
		got, err := HighestSemVer(list, rng, filter)
		constraint, cerr := semver.NewConstraint(rng)
		re, rerr := regexp.Compile(filter)
		if cerr != nil || (filter != "" && rerr != nil) {
			if !errors.Is(err, ErrInvalidReference) {
				t.Fatalf("HighestSemVer(range %q, filter %q) = %v, want ErrInvalidReference", rng, filter, err)
			}
			return
		}
		if err != nil {
			return
		}
		ok := func(tag string) (*semver.Version, bool) {
			if filter != "" && !re.MatchString(tag) {
				return nil, false
			}
			v, err := semver.NewVersion(tag)
			return v, err == nil && constraint.Check(v)
		}
		best, fits := ok(got)
		if !fits || !strings.Contains("\n"+tags+"\n", "\n"+got+"\n") {
			t.Fatalf("HighestSemVer chose %q, which is not a tag in range %q and filter %q", got, rng, filter)
		}
		for _, tag := range list {
			if v, fits := ok(tag); fits && v.GreaterThan(best) {
				t.Fatalf("HighestSemVer chose %q but %q is higher", got, tag)
			}
		}
	})
}
