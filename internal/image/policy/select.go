package policy

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// ErrNoTag is what Latest's error wraps when no tag qualifies: a later
// scan may bring one, so the caller waits rather than stalls.
var ErrNoTag = errors.New("no tag satisfies the image policy")

// noTagError is Latest's error when no tag qualifies: a message naming the
// counts, that unwraps to ErrNoTag.
type noTagError struct{ msg string }

// Error returns the message.
func (e *noTagError) Error() string { return e.msg }

// Unwrap returns ErrNoTag.
func (e *noTagError) Unwrap() error { return ErrNoTag }

// candidate is a tag that passed the filter and the policy's parse.
type candidate struct {
	// tag is the original tag, what the selector returns.
	tag string
	// value is what the alphabetical policy compares: the tag or its
	// extracted value.
	value string
	// version is the parsed value of a semver policy.
	version *semver.Version
	// number is the parsed value of a numerical policy.
	number float64
}

// scanner turns tags into candidates, reusing one buffer for extracted
// values and counting what it saw for Latest's message.
type scanner struct {
	sel *Selector
	// buf holds the expansion of the extract template.
	buf []byte
	// filtered counts the tags the pattern matched; parsed, those whose
	// value also parsed as the policy's kind of value; prereleases, the
	// parsed versions that are pre-releases.
	filtered, parsed, prereleases int
}

// parse returns tag's candidate, or false when the filter or the policy's
// parse rejects it. The semver range is not checked here: Latest checks it
// only for a version that would be the newest so far.
func (sc *scanner) parse(tag string) (candidate, bool) {
	s := sc.sel
	c := candidate{tag: tag, value: tag}

	// Filter, and extract the value to compare.
	if s.pattern != nil {
		m := s.pattern.FindStringSubmatchIndex(tag)
		if m == nil {
			return c, false
		}
		if s.spec.FilterExtract != "" {
			sc.buf = s.pattern.ExpandString(sc.buf[:0], s.spec.FilterExtract, tag, m)
			c.value = string(sc.buf)
		}
	}
	sc.filtered++

	// Parse the value as the policy's kind of value.
	switch s.kind {
	case bySemVer:
		v, err := semver.NewVersion(c.value)
		if err != nil {
			return c, false
		}
		c.version = v
		if v.Prerelease() != "" {
			sc.prereleases++
		}
	case byNumber:
		f, err := strconv.ParseFloat(c.value, 64)
		// NaN compares with nothing and ±Inf ("inf", "infinity") is a word
		// that happens to parse, not a build number: skip all three.
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return c, false
		}
		c.number = f
	}
	sc.parsed++
	return c, true
}

// satisfies reports whether c is allowed by the semver range; every
// candidate of the other policies is.
func (s *Selector) satisfies(c candidate) bool {
	return s.kind != bySemVer || s.constraint.Check(c.version)
}

// compare orders a before b when it is positive: a is newer by the policy
// or, when the policy finds them equal, a is the greater original tag, so
// the choice never depends on the order of the list.
func (s *Selector) compare(a, b candidate) int {
	var c int
	switch s.kind {
	case bySemVer:
		c = a.version.Compare(b.version)
	case byNumber:
		c = cmp.Compare(a.number, b.number)
	case byAlphabet:
		c = strings.Compare(a.value, b.value)
	}
	if s.descending {
		c = -c
	}
	if c != 0 {
		return c
	}
	return strings.Compare(a.tag, b.tag)
}

// Latest returns the tag the policy chooses among tags. When none
// qualifies the error wraps ErrNoTag and says how many tags there were and
// how many passed spec.filterTags.pattern.
func (s *Selector) Latest(tags []string) (string, error) {
	sc := scanner{sel: s}
	var best candidate
	found := false
	for _, tag := range tags {
		c, ok := sc.parse(tag)
		if !ok || found && s.compare(c, best) <= 0 {
			continue
		}
		// Check the range last: only a version that would win needs it,
		// and a failed check costs an error's allocation in semver.
		if s.satisfies(c) {
			best, found = c, true
		}
	}
	if !found {
		return "", &noTagError{msg: s.noTagMessage(len(tags), &sc)}
	}
	return best.tag, nil
}

// Candidates returns the tags that pass the filter and the policy (for
// semver: parse as a version and satisfy the range; for numerical: parse
// as a number), newest first, at most n of them, all when n <= 0. Its
// first element is what Latest returns. It is meant for previews.
func (s *Selector) Candidates(tags []string, n int) []string {
	sc := scanner{sel: s}
	var cands []candidate
	for _, tag := range tags {
		if c, ok := sc.parse(tag); ok && s.satisfies(c) {
			cands = append(cands, c)
		}
	}
	slices.SortFunc(cands, func(a, b candidate) int { return s.compare(b, a) })
	if n > 0 && len(cands) > n {
		cands = cands[:n]
	}
	out := make([]string, len(cands))
	for i, c := range cands {
		out[i] = c.tag
	}
	return out
}

// noTagMessage says why no tag of total qualified, from the counts sc
// kept while scanning them.
func (s *Selector) noTagMessage(total int, sc *scanner) string {
	filtered, parsed := sc.filtered, sc.parsed
	if total == 0 {
		return "no tag to choose from: the image repository's tag list is empty"
	}
	if s.pattern != nil && filtered == 0 {
		return fmt.Sprintf("no tag of %d matches spec.filterTags.pattern '%s'", total, s.spec.FilterPattern)
	}
	of := fmt.Sprintf("no tag of %d", total)
	if s.pattern != nil {
		of += fmt.Sprintf(" (%d after spec.filterTags.pattern '%s')", filtered, s.spec.FilterPattern)
	}
	switch s.kind {
	case bySemVer:
		msg := of + fmt.Sprintf(" satisfies semver range '%s'", s.spec.SemVerRange)
		if parsed == 0 && s.spec.FilterExtract != "" {
			msg += fmt.Sprintf("; no value spec.filterTags.extract '%s' gives is a semver version", s.spec.FilterExtract)
		} else if parsed == 0 {
			msg += "; none of them is a semver version"
		} else if sc.prereleases > 0 {
			// Masterminds' rule: a pre-release satisfies only a range
			// that names a pre-release itself.
			msg += fmt.Sprintf("; %d of the versions are pre-releases, which only a range with a pre-release (such as '>=1.0.0-0') admits", sc.prereleases)
		}
		return msg
	case byNumber:
		if s.spec.FilterExtract != "" {
			return of + fmt.Sprintf(" gives a number with spec.filterTags.extract '%s'", s.spec.FilterExtract)
		}
		return of + " is a number"
	}
	// An alphabetical policy takes every tag that passed the filter, so
	// only an empty list or a filter that matched nothing gets here.
	return of + " to order alphabetically"
}
