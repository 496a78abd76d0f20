package policy

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// registryTags is a tag list as a registry returns it: releases,
// pre-releases, calver builds, cosign signatures and floating tags.
var registryTags = []string{
	"1.0.0", "1.4.1", "1.4.2", "v1.5.0", "1.5", "2.0.0-rc.1", "2.0.0-rc.2", "2.0.0-rc.10", "1.9.0-rc.1",
	"main-3f2a1bc-1700000000", "main-9c0d7e2-1700000900", "main-0aa11bb-1699999999",
	"sha256-4a5b6c.sig", "sha256-4a5b6c.att", "latest", "10", "9",
}

func TestLatest(t *testing.T) {
	tests := map[string]struct {
		spec Spec
		tags []string // registryTags when nil
		want string
	}{
		"semver range": {
			spec: Spec{SemVerRange: ">=1.0.0 <2.0.0"},
			want: "v1.5.0", // "1.5" is the same version; the greater tag wins
		},
		"semver tilde": {
			spec: Spec{SemVerRange: "~1.4"},
			want: "1.4.2",
		},
		"semver range without pre-release skips pre-releases": {
			spec: Spec{SemVerRange: ">=1.0.0 <3.0.0"},
			want: "v1.5.0",
		},
		"semver range with pre-release takes them; dotted numbers compare as numbers": {
			spec: Spec{SemVerRange: ">=2.0.0-0 <3.0.0"},
			want: "2.0.0-rc.10",
		},
		"semver lenient parse takes bare numbers": {
			spec: Spec{SemVerRange: ">=3.0.0"},
			want: "10", // 10.0.0
		},
		"semver ignores cosign signature and attestation tags": {
			spec: Spec{SemVerRange: "*"},
			tags: []string{"sha256-abc.sig", "1.0.0", "sha256-abc.att", "sha256-def.sig"},
			want: "1.0.0",
		},
		"semver build metadata ties are decided by the greater tag": {
			spec: Spec{SemVerRange: "^1"},
			tags: []string{"1.2.0+b2", "1.2.0+b10", "1.1.0"},
			want: "1.2.0+b2",
		},
		"semver with extract returns the original tag": {
			spec: Spec{SemVerRange: ">=1.0.0", FilterPattern: `^release-(?P<version>.*)$`, FilterExtract: `${version}`},
			tags: []string{"release-1.2.0", "release-1.10.0", "2.0.0", "release-x"},
			want: "release-1.10.0",
		},
		"calver numerical asc (the brief's example)": {
			spec: Spec{Numerical: Ascending, FilterPattern: `^main-[a-f0-9]+-(?P<ts>[0-9]+)`, FilterExtract: `$ts`},
			tags: []string{"main-abc1234-1700000000", "main-def5678-1700000100"},
			want: "main-def5678-1700000100",
		},
		"calver numerical asc": {
			spec: Spec{Numerical: Ascending, FilterPattern: `^main-[a-f0-9]+-(?P<ts>[0-9]+)$`, FilterExtract: `$ts`},
			want: "main-9c0d7e2-1700000900",
		},
		"calver numerical desc": {
			spec: Spec{Numerical: Descending, FilterPattern: `^main-[a-f0-9]+-(?P<ts>[0-9]+)$`, FilterExtract: `${ts}`},
			want: "main-0aa11bb-1699999999",
		},
		"numerical extract by group number": {
			spec: Spec{Numerical: Ascending, FilterPattern: `^build-(\d+)$`, FilterExtract: `$1`},
			tags: []string{"build-9", "build-10", "build-x"},
			want: "build-10",
		},
		"numerical skips what is not a number": {
			spec: Spec{Numerical: Ascending},
			want: "10",
		},
		"numerical compares numbers, not strings": {
			spec: Spec{Numerical: Ascending},
			tags: []string{"1.5", "1.10", "-3", "0.9"},
			want: "1.5",
		},
		"numerical desc takes negatives": {
			spec: Spec{Numerical: Descending},
			tags: []string{"1.5", "1.10", "-3", "0.9"},
			want: "-3",
		},
		"numerical skips NaN and infinities": {
			spec: Spec{Numerical: Ascending},
			tags: []string{"NaN", "inf", "Infinity", "+Inf", "7", "1e400"},
			want: "7",
		},
		"numerical equal values are decided by the greater tag": {
			spec: Spec{Numerical: Ascending, FilterPattern: `^[a-z]+-(?P<n>\d+)$`, FilterExtract: `$n`},
			tags: []string{"a-5", "c-4", "b-5", "b-05"},
			want: "b-5",
		},
		"alphabetical asc picks the last in byte order": {
			spec: Spec{Alphabetical: Ascending},
			tags: []string{"A", "Z", "M"},
			want: "Z",
		},
		"alphabetical asc is byte order, so lower case beats upper case": {
			spec: Spec{Alphabetical: Ascending},
			tags: []string{"a", "Z", "b"},
			want: "b",
		},
		"alphabetical asc with a filter": {
			spec: Spec{Alphabetical: Ascending, FilterPattern: `^main-`},
			want: "main-9c0d7e2-1700000900",
		},
		"alphabetical desc picks the first": {
			spec: Spec{Alphabetical: Descending},
			want: "1.0.0",
		},
		"alphabetical compares the extracted value": {
			spec: Spec{Alphabetical: Ascending, FilterPattern: `^[a-z]+-(?P<date>\d{4}-\d{2})$`, FilterExtract: `$date`},
			tags: []string{"zeta-2024-01", "alpha-2024-03", "beta-2023-12"},
			want: "alpha-2024-03",
		},
		"alphabetical equal values are decided by the greater tag, also desc": {
			spec: Spec{Alphabetical: Descending, FilterPattern: `^[a-z]+-(?P<d>\d+)$`, FilterExtract: `$d`},
			tags: []string{"x-1", "z-1", "y-2"},
			want: "z-1",
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			tags := tt.tags
			if tags == nil {
				tags = registryTags
			}
			s, err := New(tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			got, err := s.Latest(tags)
			if err != nil || got != tt.want {
				t.Fatalf("Latest = %q, %v; want %q", got, err, tt.want)
			}
			// The order of the list does not matter.
			rng := rand.New(rand.NewPCG(1, 2))
			for range 5 {
				shuffled := slices.Clone(tags)
				rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
				if again, _ := s.Latest(shuffled); again != got {
					t.Errorf("Latest(%v) = %q, want %q", shuffled, again, got)
				}
			}
			// Candidates agrees with Latest.
			if c := s.Candidates(tags, 1); !slices.Equal(c, []string{got}) {
				t.Errorf("Candidates(tags, 1) = %v, want [%s]", c, got)
			}
		})
	}
}

// TestSemverPreReleaseOrder documents the semver order Flux users trip
// on: pre-release identifiers without dots compare as strings, so rc10 is
// older than rc9; with a dot the number compares as a number.
func TestSemverPreReleaseOrder(t *testing.T) {
	s, err := New(Spec{SemVerRange: ">=1.0.0-0"})
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct {
		tags []string
		want string
	}{
		"rc10 is older than rc9":   {[]string{"1.0.0-rc9", "1.0.0-rc10"}, "1.0.0-rc9"},
		"rc.10 is newer than rc.9": {[]string{"1.0.0-rc.9", "1.0.0-rc.10"}, "1.0.0-rc.10"},
		"a release is newer":       {[]string{"1.0.0-rc.9", "1.0.0", "1.0.0-rc.10"}, "1.0.0"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got, err := s.Latest(tt.tags); err != nil || got != tt.want {
				t.Errorf("Latest(%v) = %q, %v; want %q", tt.tags, got, err, tt.want)
			}
		})
	}
}

func TestLatestNoTag(t *testing.T) {
	tests := map[string]struct {
		spec Spec
		tags []string
		want string
	}{
		"empty list": {
			spec: Spec{SemVerRange: ">=1.0.0"},
			want: "no tag to choose from: the image repository's tag list is empty",
		},
		"empty list, alphabetical": {
			spec: Spec{Alphabetical: Ascending},
			tags: []string{},
			want: "no tag to choose from: the image repository's tag list is empty",
		},
		"range nothing satisfies": {
			spec: Spec{SemVerRange: ">=3.0.0"},
			tags: []string{"v1.0.0", "v2.0.0", "latest"},
			want: "no tag of 3 satisfies semver range '>=3.0.0'",
		},
		"range nothing satisfies after the filter": {
			spec: Spec{SemVerRange: ">=2.0.0", FilterPattern: `^v`},
			tags: []string{"v1.0.0", "v1.2.0", "3.0.0", "latest"},
			want: "no tag of 4 (2 after spec.filterTags.pattern '^v') satisfies semver range '>=2.0.0'",
		},
		"no version at all": {
			spec: Spec{SemVerRange: "*"},
			tags: []string{"latest", "sha256-abc.sig"},
			want: "no tag of 2 satisfies semver range '*'; none of them is a semver version",
		},
		"no version extracted": {
			spec: Spec{SemVerRange: "*", FilterPattern: `^(?P<v>[a-z]+)-`, FilterExtract: "$v"},
			tags: []string{"main-1", "dev-2", "3"},
			want: "no tag of 3 (2 after spec.filterTags.pattern '^(?P<v>[a-z]+)-') satisfies semver range '*'; no value spec.filterTags.extract '$v' gives is a semver version",
		},
		"only pre-releases for a release range": {
			spec: Spec{SemVerRange: ">=1.0.0"},
			tags: []string{"1.0.0-rc.1", "2.0.0-beta", "0.9.0"},
			want: "no tag of 3 satisfies semver range '>=1.0.0'; 2 of the versions are pre-releases, which only a range with a pre-release (such as '>=1.0.0-0') admits",
		},
		"pattern matches nothing": {
			spec: Spec{Alphabetical: Ascending, FilterPattern: `^release-`},
			tags: []string{"main-1", "main-2"},
			want: "no tag of 2 matches spec.filterTags.pattern '^release-'",
		},
		"no number": {
			spec: Spec{Numerical: Descending},
			tags: []string{"latest", "v1", "NaN"},
			want: "no tag of 3 is a number",
		},
		"no number extracted": {
			spec: Spec{Numerical: Ascending, FilterPattern: `^main-(?P<sha>[a-f0-9]+)`, FilterExtract: "$sha"},
			tags: []string{"main-abc", "main-def", "v1"},
			want: "no tag of 3 (2 after spec.filterTags.pattern '^main-(?P<sha>[a-f0-9]+)') gives a number with spec.filterTags.extract '$sha'",
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			s, err := New(tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			got, err := s.Latest(tt.tags)
			if !errors.Is(err, ErrNoTag) {
				t.Fatalf("Latest = %q, %v; want an error wrapping ErrNoTag", got, err)
			}
			if err.Error() != tt.want {
				t.Errorf("error:\n got %s\nwant %s", err, tt.want)
			}
			if c := s.Candidates(tt.tags, 0); len(c) != 0 {
				t.Errorf("Candidates = %v, want none", c)
			}
		})
	}
}

func TestNewRefuses(t *testing.T) {
	tests := map[string]struct {
		spec Spec
		want string
	}{
		"no policy": {
			spec: Spec{FilterPattern: ".*"},
			want: "exactly one of spec.policy.semver, spec.policy.alphabetical and spec.policy.numerical must be set",
		},
		"two policies": {
			spec: Spec{SemVerRange: ">=1", Numerical: Ascending},
			want: "exactly one of spec.policy.semver, spec.policy.alphabetical and spec.policy.numerical must be set",
		},
		"three policies": {
			spec: Spec{SemVerRange: ">=1", Numerical: Ascending, Alphabetical: Descending},
			want: "exactly one of",
		},
		"bad range": {
			spec: Spec{SemVerRange: ">=one"},
			want: "invalid spec.policy.semver.range '>=one': ",
		},
		"bad alphabetical order": {
			spec: Spec{Alphabetical: "up"},
			want: "invalid spec.policy.alphabetical.order 'up': use 'asc' or 'desc'",
		},
		"bad numerical order": {
			spec: Spec{Numerical: "ASC"},
			want: "invalid spec.policy.numerical.order 'ASC': use 'asc' or 'desc'",
		},
		"bad pattern": {
			spec: Spec{Numerical: Ascending, FilterPattern: "(unclosed"},
			want: "invalid spec.filterTags.pattern '(unclosed': error parsing regexp",
		},
		"extract names a missing group": {
			spec: Spec{Numerical: Ascending, FilterPattern: `^(?P<ts>\d+)-(\w+)$`, FilterExtract: "$time"},
			want: `spec.filterTags.extract '$time' uses the group 'time', which spec.filterTags.pattern '^(?P<ts>\d+)-(\w+)$' does not have; name it with (?P<time>...) or use one of $0..$2, $ts`,
		},
		"extract names a missing braced group": {
			spec: Spec{Numerical: Ascending, FilterPattern: `^(?P<ts>\d+)$`, FilterExtract: "v${ts}-${sha}"},
			want: "uses the group 'sha'",
		},
		"extract numbers a missing group": {
			spec: Spec{Numerical: Ascending, FilterPattern: `^(\d+)$`, FilterExtract: "$2"},
			want: "uses the group '2', which spec.filterTags.pattern '^(\\d+)$' does not have",
		},
		"extract with a leading zero is a name, as ExpandString reads it": {
			spec: Spec{Numerical: Ascending, FilterPattern: `^(\d+)$`, FilterExtract: "$01"},
			want: "uses the group '01'",
		},
		"extract without a pattern": {
			spec: Spec{Numerical: Ascending, FilterExtract: "$ts"},
			want: "spec.filterTags.extract '$ts' needs spec.filterTags.pattern to define its groups",
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := New(tt.spec); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New(%+v) = %v, want an error containing %q", tt.spec, err, tt.want)
			}
		})
	}
}

func TestNewAccepts(t *testing.T) {
	tests := map[string]Spec{
		"semver":                     {SemVerRange: ">= 1.2.3, < 2 || ^3"},
		"alphabetical desc":          {Alphabetical: Descending},
		"numerical with a pattern":   {Numerical: Ascending, FilterPattern: `^\d+$`},
		"whole match":                {Numerical: Ascending, FilterPattern: `\d+`, FilterExtract: "$0"},
		"literal dollar":             {Alphabetical: Ascending, FilterPattern: `^(?P<v>.*)$`, FilterExtract: "$$ts-$v"},
		"malformed braces are text":  {Alphabetical: Ascending, FilterPattern: `^(?P<v>.*)$`, FilterExtract: "${v-x}${}$"},
		"group named with digits":    {Alphabetical: Ascending, FilterPattern: `^(?P<01>.*)$`, FilterExtract: "$01"},
		"extract without any groups": {Alphabetical: Ascending, FilterPattern: `^main-`, FilterExtract: "constant"},
	}
	for name, spec := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := New(spec); err != nil {
				t.Errorf("New(%+v): %v", spec, err)
			}
		})
	}
}

func TestTemplateGroups(t *testing.T) {
	tests := map[string]struct {
		template string
		want     []string
	}{
		"empty":            {"", nil},
		"plain":            {"$ts", []string{"ts"}},
		"braced":           {"${version}-x", []string{"version"}},
		"longest name":     {"$ts_2x-y", []string{"ts_2x"}},
		"numbers":          {"$1.$2", []string{"1", "2"}},
		"escaped dollar":   {"$$ts", nil},
		"escaped then var": {"$$$ts", []string{"ts"}},
		"malformed":        {"${a-b} ${} $ $-", nil},
		"several":          {"v$major.${minor}$$", []string{"major", "minor"}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := templateGroups(tt.template); !slices.Equal(got, tt.want) {
				t.Errorf("templateGroups(%q) = %q, want %q", tt.template, got, tt.want)
			}
		})
	}
}

func TestCandidates(t *testing.T) {
	tests := map[string]struct {
		spec Spec
		n    int
		want []string
	}{
		"semver newest first, only what satisfies the range": {
			spec: Spec{SemVerRange: ">=1.0.0 <2.0.0"},
			want: []string{"v1.5.0", "1.5", "1.4.2", "1.4.1", "1.0.0"},
		},
		"at most n": {
			spec: Spec{SemVerRange: ">=1.0.0 <2.0.0"},
			n:    2,
			want: []string{"v1.5.0", "1.5"},
		},
		"n larger than the list": {
			spec: Spec{SemVerRange: "~1.4"},
			n:    10,
			want: []string{"1.4.2", "1.4.1"},
		},
		"numerical skips non-numbers": {
			spec: Spec{Numerical: Descending},
			n:    -1,
			want: []string{"1.5", "9", "10"},
		},
		"calver": {
			spec: Spec{Numerical: Ascending, FilterPattern: `^main-[a-f0-9]+-(?P<ts>[0-9]+)$`, FilterExtract: `$ts`},
			want: []string{"main-9c0d7e2-1700000900", "main-3f2a1bc-1700000000", "main-0aa11bb-1699999999"},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			s, err := New(tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			if got := s.Candidates(registryTags, tt.n); !slices.Equal(got, tt.want) {
				t.Errorf("Candidates = %q, want %q", got, tt.want)
			}
		})
	}
}

// FuzzSelector checks, for any spec New accepts, that Latest returns one
// of the tags or ErrNoTag, that the order of the tags does not change its
// choice, and that Candidates starts with it.
func FuzzSelector(f *testing.F) {
	f.Add(">=1.0.0", "", "", "", "v1.2.3", "1.10.0-rc.1", "sha256-a.sig")
	f.Add("", "asc", "", `^main-(?P<ts>\d+)`, "main-1", "main-01", "x")
	f.Add("", "", "desc", `(\d+)\.(\d+)`, "1.5", "1.50", "NaN")
	f.Add("", "", "asc", `^(?P<v>.*)$`, "+Inf", "1e3", "-0")
	f.Fuzz(func(t *testing.T, rng, alpha, num, pattern, a, b, c string) {
		extract := ""
		if strings.Contains(pattern, "(") {
			extract = "$1"
		}
		s, err := New(Spec{SemVerRange: rng, Alphabetical: alpha, Numerical: num, FilterPattern: pattern, FilterExtract: extract})
		if err != nil {
			return
		}
		tags := []string{a, b, c}
		got, err := s.Latest(tags)
		cands := s.Candidates(tags, 0)
		if err != nil {
			if !errors.Is(err, ErrNoTag) {
				t.Fatalf("Latest(%q): %v does not wrap ErrNoTag", tags, err)
			}
			if len(cands) != 0 {
				t.Fatalf("Latest(%q) found no tag but Candidates = %q", tags, cands)
			}
			return
		}
		if !slices.Contains(tags, got) {
			t.Fatalf("Latest(%q) = %q, not one of the tags", tags, got)
		}
		if again, _ := s.Latest([]string{c, a, b}); again != got {
			t.Fatalf("Latest depends on the order: %q, then %q", got, again)
		}
		if len(cands) == 0 || cands[0] != got {
			t.Fatalf("Candidates(%q) = %q, want %q first", tags, cands, got)
		}
	})
}

// semverTags returns n distinct release versions, shuffled.
func semverTags(n int) []string {
	tags := make([]string, n)
	for i := range tags {
		tags[i] = fmt.Sprintf("%d.%d.%d", i/1000, (i/10)%100, i%10)
	}
	rand.New(rand.NewPCG(3, 4)).Shuffle(n, func(i, j int) { tags[i], tags[j] = tags[j], tags[i] })
	return tags
}

func BenchmarkLatestSemver10k(b *testing.B) {
	tags := semverTags(10000)
	s, err := New(Spec{SemVerRange: ">=1.0.0 <9.0.0"})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Latest(tags); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLatestCalverExtract10k(b *testing.B) {
	tags := make([]string, 10000)
	for i := range tags {
		tags[i] = fmt.Sprintf("main-%07x-%d", i*7919, 1700000000+i*60)
	}
	s, err := New(Spec{Numerical: Ascending, FilterPattern: `^main-[a-f0-9]+-(?P<ts>[0-9]+)$`, FilterExtract: `$ts`})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Latest(tags); err != nil {
			b.Fatal(err)
		}
	}
}
