package policy

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestLatest(t *testing.T) {
	tags := []string{"1.0.0", "1.4.1", "1.4.2", "v1.5.0", "2.0.0-rc.1", "2.0.0-rc.2", "2.0.0-rc.10", "1.9.0-rc.1",
		"main-3f2a1bc-1700000000", "main-9c0d7e2-1700000900", "main-0aa11bb-1699999999", "sha256-4a5b.sig", "latest", "10", "9", "1.5"}
	tests := []struct {
		name string
		spec Spec
		want string
	}{
		{"semver range", Spec{SemVerRange: ">=1.0.0 <2.0.0"}, "v1.5.0"},
		{"semver tilde", Spec{SemVerRange: "~1.4"}, "1.4.2"},
		{"semver pre-releases, dotted numbers compare as numbers", Spec{SemVerRange: ">=2.0.0-0 <3.0.0"}, "2.0.0-rc.10"},
		{"semver with extract", Spec{SemVerRange: ">=1.0.0", FilterPattern: `^v(?P<version>.*)$`, FilterExtract: `$version`}, "v1.5.0"},
		{"calver numerical asc", Spec{Numerical: Ascending, FilterPattern: `^main-[a-f0-9]+-(?P<ts>[0-9]+)$`, FilterExtract: `$ts`}, "main-9c0d7e2-1700000900"},
		{"calver numerical desc", Spec{Numerical: Descending, FilterPattern: `^main-[a-f0-9]+-(?P<ts>[0-9]+)$`, FilterExtract: `${ts}`}, "main-0aa11bb-1699999999"},
		{"numerical skips what is not a number", Spec{Numerical: Ascending}, "10"},
		{"alphabetical asc picks the last", Spec{Alphabetical: Ascending, FilterPattern: `^main-`}, "main-9c0d7e2-1700000900"},
		{"alphabetical desc picks the first", Spec{Alphabetical: Descending}, "1.0.0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := New(tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			got, err := s.Latest(tags)
			if err != nil || got != tt.want {
				t.Errorf("Latest = %q, %v; want %q", got, err, tt.want)
			}
			// The order of the list does not matter.
			rev := slices.Clone(tags)
			slices.Reverse(rev)
			if again, _ := s.Latest(rev); again != got {
				t.Errorf("Latest of the reversed list = %q, want %q", again, got)
			}
		})
	}
}

// TestSemverPreReleaseOrder documents the semver order Flux users trip
// on: undotted pre-releases compare as strings.
func TestSemverPreReleaseOrder(t *testing.T) {
	s, _ := New(Spec{SemVerRange: ">=1.0.0-0"})
	if got, _ := s.Latest([]string{"1.0.0-rc9", "1.0.0-rc10"}); got != "1.0.0-rc9" {
		t.Errorf("rc9 vs rc10: got %q; semver compares 'rc9' and 'rc10' as strings", got)
	}
	if got, _ := s.Latest([]string{"1.0.0-rc.9", "1.0.0-rc.10"}); got != "1.0.0-rc.10" {
		t.Errorf("rc.9 vs rc.10: got %q", got)
	}
}

func TestSameExtractedValueIsDeterministic(t *testing.T) {
	s, _ := New(Spec{Numerical: Ascending, FilterPattern: `^[a-z]+-(?P<n>\d+)$`, FilterExtract: `$n`})
	for _, tags := range [][]string{{"a-5", "b-5"}, {"b-5", "a-5"}} {
		if got, _ := s.Latest(tags); got != "b-5" {
			t.Errorf("Latest(%v) = %q, want b-5 (the greater tag)", tags, got)
		}
	}
}

func TestNoTag(t *testing.T) {
	s, _ := New(Spec{SemVerRange: ">=3.0.0", FilterPattern: `^v`})
	_, err := s.Latest([]string{"v1.0.0", "v2.0.0", "latest"})
	if !errors.Is(err, ErrNoTag) || !strings.Contains(err.Error(), "3 tags (2 after spec.filterTags.pattern '^v')") {
		t.Errorf("err = %v", err)
	}
	if _, err := s.Latest(nil); !errors.Is(err, ErrNoTag) {
		t.Errorf("empty list: %v", err)
	}
}

func TestNewRefuses(t *testing.T) {
	for _, tt := range []struct {
		spec Spec
		want string
	}{
		{Spec{}, "exactly one of"},
		{Spec{SemVerRange: ">=1", Numerical: Ascending}, "exactly one of"},
		{Spec{SemVerRange: ">=x.y"}, "invalid spec.policy.semver.range '>=x.y'"},
		{Spec{Alphabetical: "up"}, "invalid spec.policy.alphabetical.order 'up'"},
		{Spec{Numerical: Ascending, FilterPattern: "(unclosed"}, "invalid spec.filterTags.pattern"},
		{Spec{Numerical: Ascending, FilterPattern: `^(?P<ts>\d+)$`, FilterExtract: "$time"}, "names the group 'time'"},
		{Spec{Numerical: Ascending, FilterExtract: "$ts"}, "needs spec.filterTags.pattern"},
	} {
		if _, err := New(tt.spec); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("New(%+v) = %v, want an error containing %q", tt.spec, err, tt.want)
		}
	}
}

func TestCandidates(t *testing.T) {
	s, _ := New(Spec{SemVerRange: ">=1.0.0"})
	got := s.Candidates([]string{"1.0.0", "latest", "1.2.0", "1.1.0"}, 2)
	if !slices.Equal(got, []string{"1.2.0", "1.1.0"}) {
		t.Errorf("Candidates = %v", got)
	}
}

func BenchmarkLatestSemver10k(b *testing.B) {
	tags := make([]string, 10000)
	for i := range tags {
		tags[i] = fmt.Sprintf("%d.%d.%d", i/1000, (i/10)%100, i%10)
	}
	s, _ := New(Spec{SemVerRange: ">=1.0.0 <9.0.0"})
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := s.Latest(tags); err != nil {
			b.Fatal(err)
		}
	}
}
