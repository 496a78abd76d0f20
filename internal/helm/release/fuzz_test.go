package release

import (
	"strings"
	"testing"

	"github.com/Masterminds/semver/v3"
)

// FuzzOCIChartVersion checks the version a chart from an OCIRepository
// artifact gets: the chart's own version with the first 12 digits of the
// revision's digest as build metadata, a strict semantic version, and a
// tagged revision only when its tag is the chart's version.
func FuzzOCIChartVersion(f *testing.F) {
	const digest = "sha256:cdd538a0167e4b51152b71a477e51eb6737553510ce8797dbcc537e1342311bb"
	for _, s := range [][2]string{{"6.6.2", "6.6.2@" + digest}, {"6.6.2", "v6.6.2@" + digest}, {"1.0.0+build.1", "1.0.0_build.1@" + digest},
		{"2.0.0-rc.1", digest}, {"6.6.2", "latest@" + digest}, {"6.6.2", "6.6.2@sha256:abc"}, {"1.0.0", "1.0.0@x:@y:zzzzzzzzzzzzzz"},
		{"1.0.0", "@sha256:------------"}, {"1.0.0", "1.0.0@sha256:" + strings.Repeat("Z", 12)}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, version, revision string) {
		got, err := OCIChartVersion(version, revision)
		if err != nil {
			return
		}
		v, err := semver.StrictNewVersion(got)
		if err != nil {
			t.Fatalf("OCIChartVersion(%q, %q) = %q, which is not a strict semantic version: %v", version, revision, got, err)
		}
		orig := semver.MustParse(version)
		if v.Major() != orig.Major() || v.Minor() != orig.Minor() || v.Patch() != orig.Patch() || v.Prerelease() != orig.Prerelease() {
			t.Fatalf("OCIChartVersion(%q, %q) = %q changed the version", version, revision, got)
		}
		_, hex, _ := strings.Cut(revision[strings.Index(revision, "@")+1:], ":")
		if len(hex) < 12 || v.Metadata() != hex[:12] {
			t.Fatalf("OCIChartVersion(%q, %q) = %q, whose metadata is not the digest's first 12 digits", version, revision, got)
		}
		if tag, _, tagged := strings.Cut(revision, "@"); tagged {
			tv, err := semver.NewVersion(strings.Replace(tag, "_", "+", 1))
			if err != nil || !tv.Equal(orig) {
				t.Fatalf("OCIChartVersion(%q, %q) accepted the tag %q", version, revision, tag)
			}
		}
	})
}
