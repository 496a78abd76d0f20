package release

import (
	"strings"
	"testing"
)

func TestOCIChartVersion(t *testing.T) {
	const digest = "sha256:cdd538a0167e4b51152b71a477e51eb6737553510ce8797dbcc537e1342311bb"
	ok := []struct{ version, revision, want string }{
		{"6.6.2", "6.6.2@" + digest, "6.6.2+cdd538a0167e"},
		{"6.6.2", "v6.6.2@" + digest, "6.6.2+cdd538a0167e"},
		{"1.0.0+build.1", "1.0.0_build.1@" + digest, "1.0.0+cdd538a0167e"},
		{"2.0.0-rc.1", digest, "2.0.0-rc.1+cdd538a0167e"},
	}
	for _, c := range ok {
		got, err := OCIChartVersion(c.version, c.revision)
		if err != nil || got != c.want {
			t.Errorf("OCIChartVersion(%q, %q) = %q, %v; want %q", c.version, c.revision, got, err, c.want)
		}
	}
	bad := []struct{ version, revision, want string }{
		{"6.6.2", "latest@" + digest, "artifact tag 'latest' is not the chart's version '6.6.2'"},
		{"6.6.2", "6.6.3@" + digest, "artifact tag '6.6.3' is not the chart's version"},
		{"six", "six@" + digest, "chart version 'six' is not a semantic version"},
		{"6.6.2", "6.6.2@sha256:abc", "has no digest"},
	}
	for _, c := range bad {
		if _, err := OCIChartVersion(c.version, c.revision); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("OCIChartVersion(%q, %q) error %v, want %q", c.version, c.revision, err, c.want)
		}
	}
}
