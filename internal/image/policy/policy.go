// Package policy chooses the newest allowed tag of an image, as Flux's
// ImagePolicy does: tags are filtered by a regular expression (optionally
// extracting the value to compare), then ordered by semver, alphabetically
// or numerically.
package policy

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// ErrNoTag is returned by Latest when no tag qualifies.
var ErrNoTag = errors.New("no tag satisfies the policy")

// Orders of the alphabetical and numerical policies.
const (
	Ascending  = "asc"
	Descending = "desc"
)

// Spec mirrors an ImagePolicy's spec as plain values; exactly one of
// SemVerRange, Alphabetical and Numerical is set.
type Spec struct {
	// SemVerRange is policy.semver.range.
	SemVerRange string
	// Alphabetical is policy.alphabetical.order: "asc" or "desc".
	Alphabetical string
	// Numerical is policy.numerical.order: "asc" or "desc".
	Numerical string
	// FilterPattern is filterTags.pattern; tags not matching are ignored.
	FilterPattern string
	// FilterExtract is filterTags.extract, e.g. "$ts": the value compared
	// instead of the tag.
	FilterExtract string
}

type kind int

const (
	bySemVer kind = iota
	byAlphabet
	byNumber
)

// Selector is a validated Spec.
type Selector struct {
	kind       kind
	descending bool
	constraint *semver.Constraints
	spec       Spec
	pattern    *regexp.Regexp
}

// New validates s.
func New(s Spec) (*Selector, error) {
	sel := &Selector{spec: s}
	set := 0
	if s.SemVerRange != "" {
		set++
		c, err := semver.NewConstraint(s.SemVerRange)
		if err != nil {
			return nil, fmt.Errorf("invalid spec.policy.semver.range '%s': %w", s.SemVerRange, err)
		}
		sel.kind, sel.constraint = bySemVer, c
	}
	for _, o := range []struct {
		order string
		kind  kind
		field string
	}{{s.Alphabetical, byAlphabet, "spec.policy.alphabetical.order"}, {s.Numerical, byNumber, "spec.policy.numerical.order"}} {
		if o.order == "" {
			continue
		}
		set++
		if o.order != Ascending && o.order != Descending {
			return nil, fmt.Errorf("invalid %s '%s': use 'asc' or 'desc'", o.field, o.order)
		}
		sel.kind, sel.descending = o.kind, o.order == Descending
	}
	if set != 1 {
		return nil, errors.New("exactly one of spec.policy.semver, spec.policy.alphabetical and spec.policy.numerical must be set")
	}
	if s.FilterPattern != "" {
		re, err := regexp.Compile(s.FilterPattern)
		if err != nil {
			return nil, fmt.Errorf("invalid spec.filterTags.pattern '%s': %w", s.FilterPattern, err)
		}
		sel.pattern = re
		if s.FilterExtract != "" {
			for _, name := range templateGroups(s.FilterExtract) {
				if !slices.Contains(re.SubexpNames(), name) && !isIndex(name, re.NumSubexp()) {
					return nil, fmt.Errorf("spec.filterTags.extract '%s' names the group '%s', which spec.filterTags.pattern '%s' does not have", s.FilterExtract, name, s.FilterPattern)
				}
			}
		}
	} else if s.FilterExtract != "" {
		return nil, errors.New("spec.filterTags.extract needs spec.filterTags.pattern")
	}
	return sel, nil
}

// templateGroups returns the group names an ExpandString template uses:
// $name, ${name}, $1.
var templateGroup = regexp.MustCompile(`\$(\{[^}]*\}|[A-Za-z0-9_]+)`)

func templateGroups(t string) []string {
	var out []string
	for _, m := range templateGroup.FindAllStringSubmatch(strings.ReplaceAll(t, "$$", ""), -1) {
		out = append(out, strings.Trim(m[1], "{}"))
	}
	return out
}

func isIndex(name string, groups int) bool {
	n, err := strconv.Atoi(name)
	return err == nil && n >= 0 && n <= groups
}

// candidate is a tag and the value the policy compares.
type candidate struct {
	tag, value string
	version    *semver.Version
	number     float64
}

// candidates filters tags and parses their values; filtered is how many
// passed the pattern.
func (s *Selector) candidates(tags []string) (out []candidate, filtered int) {
	out = make([]candidate, 0, len(tags))
	var buf []byte
	for _, tag := range tags {
		c := candidate{tag: tag, value: tag}
		if s.pattern != nil {
			m := s.pattern.FindStringSubmatchIndex(tag)
			if m == nil {
				continue
			}
			if s.spec.FilterExtract != "" {
				buf = s.pattern.ExpandString(buf[:0], s.spec.FilterExtract, tag, m)
				c.value = string(buf)
			}
		}
		filtered++
		switch s.kind {
		case bySemVer:
			v, err := semver.NewVersion(c.value)
			if err != nil || !s.constraint.Check(v) {
				continue
			}
			c.version = v
		case byNumber:
			f, err := strconv.ParseFloat(c.value, 64)
			if err != nil {
				continue
			}
			c.number = f
		}
		out = append(out, c)
	}
	return out, filtered
}

// newer reports whether a ranks before b: the newer by the policy, then
// the greater tag, so the choice never depends on the order of the list.
func (s *Selector) newer(a, b candidate) bool {
	var cmp int
	switch s.kind {
	case bySemVer:
		cmp = a.version.Compare(b.version)
	case byNumber:
		switch {
		case a.number > b.number:
			cmp = 1
		case a.number < b.number:
			cmp = -1
		}
	case byAlphabet:
		cmp = strings.Compare(a.value, b.value)
	}
	if s.descending {
		cmp = -cmp
	}
	if cmp != 0 {
		return cmp > 0
	}
	return a.tag > b.tag
}

// Latest returns the tag the policy chooses among tags.
func (s *Selector) Latest(tags []string) (string, error) {
	cands, filtered := s.candidates(tags)
	if len(cands) == 0 {
		return "", fmt.Errorf("%w: %s", ErrNoTag, s.describeNone(len(tags), filtered))
	}
	best := cands[0]
	for _, c := range cands[1:] {
		if s.newer(c, best) {
			best = c
		}
	}
	return best.tag, nil
}

// Candidates returns the tags that qualify, newest first, at most n of
// them (all when n <= 0): what a preview shows.
func (s *Selector) Candidates(tags []string, n int) []string {
	cands, _ := s.candidates(tags)
	sort.Slice(cands, func(i, j int) bool { return s.newer(cands[i], cands[j]) })
	if n > 0 && len(cands) > n {
		cands = cands[:n]
	}
	out := make([]string, len(cands))
	for i, c := range cands {
		out[i] = c.tag
	}
	return out
}

func (s *Selector) describeNone(total, filtered int) string {
	of := fmt.Sprintf("%d tags", total)
	if s.pattern != nil {
		of = fmt.Sprintf("%d tags (%d after spec.filterTags.pattern '%s')", total, filtered, s.spec.FilterPattern)
	}
	switch s.kind {
	case bySemVer:
		return fmt.Sprintf("none of %s is a version in the semver range '%s'", of, s.spec.SemVerRange)
	case byNumber:
		return fmt.Sprintf("none of %s is a number", of)
	}
	return "there are " + of
}
