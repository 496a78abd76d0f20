package policy

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// Orders of the alphabetical and numerical policies.
const (
	// Ascending picks the greatest value: the last string, the highest number.
	Ascending = "asc"
	// Descending picks the smallest value: the first string, the lowest number.
	Descending = "desc"
)

// Spec mirrors an ImagePolicy's spec as plain values; exactly one of
// SemVerRange, Alphabetical and Numerical is set. The API defaults an
// empty order of a chosen alphabetical or numerical policy to "asc"; the
// caller passes that default here, since an empty field means "not this
// policy".
type Spec struct {
	// SemVerRange is spec.policy.semver.range, a Masterminds semver
	// constraint such as ">=1.0.0 <2.0.0" or "~1.4".
	SemVerRange string
	// Alphabetical is spec.policy.alphabetical.order: "asc" or "desc".
	Alphabetical string
	// Numerical is spec.policy.numerical.order: "asc" or "desc".
	Numerical string
	// FilterPattern is spec.filterTags.pattern, a Go regular expression;
	// tags it does not match are ignored.
	FilterPattern string
	// FilterExtract is spec.filterTags.extract, a regexp.ExpandString
	// template such as "$ts" or "${version}": the value the policy compares
	// instead of the tag. The tag itself is still what is chosen.
	FilterExtract string
}

// kind is the ordering policy of a Selector.
type kind int

// The ordering policies.
const (
	bySemVer kind = iota
	byAlphabet
	byNumber
)

// Selector is a validated Spec, safe for concurrent use.
type Selector struct {
	// kind is which of the spec's policies is set.
	kind kind
	// descending reverses an alphabetical or numerical order.
	descending bool
	// constraint is the parsed semver range of a semver policy.
	constraint *semver.Constraints
	// pattern is the compiled filter, nil to keep every tag.
	pattern *regexp.Regexp
	// spec is what New was given, for messages and the extract template.
	spec Spec
}

// New validates s: exactly one policy, a range that parses, an order that
// is "asc" or "desc", a pattern that compiles and an extract template that
// names only groups the pattern has.
func New(s Spec) (*Selector, error) {
	sel := &Selector{spec: s}

	// Pick the one policy and check its parameter.
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
		order, field string
		kind         kind
	}{
		{s.Alphabetical, "spec.policy.alphabetical.order", byAlphabet},
		{s.Numerical, "spec.policy.numerical.order", byNumber},
	} {
		if o.order == "" {
			continue
		}
		set++
		if o.order != Ascending && o.order != Descending {
			return nil, fmt.Errorf("invalid %s '%s': use '%s' or '%s'", o.field, o.order, Ascending, Descending)
		}
		sel.kind, sel.descending = o.kind, o.order == Descending
	}
	if set != 1 {
		return nil, errors.New("exactly one of spec.policy.semver, spec.policy.alphabetical and spec.policy.numerical must be set")
	}

	// Compile the filter and check the groups the extract template uses.
	if s.FilterPattern == "" {
		if s.FilterExtract != "" {
			return nil, fmt.Errorf("spec.filterTags.extract '%s' needs spec.filterTags.pattern to define its groups", s.FilterExtract)
		}
		return sel, nil
	}
	re, err := regexp.Compile(s.FilterPattern)
	if err != nil {
		return nil, fmt.Errorf("invalid spec.filterTags.pattern '%s': %w", s.FilterPattern, err)
	}
	sel.pattern = re
	for _, name := range templateGroups(s.FilterExtract) {
		if !hasGroup(re, name) {
			return nil, fmt.Errorf("spec.filterTags.extract '%s' uses the group '%s', which spec.filterTags.pattern '%s' does not have; name it with (?P<%s>...) or use one of %s",
				s.FilterExtract, name, s.FilterPattern, name, groupList(re))
		}
	}
	return sel, nil
}

// templateGroups returns the group names and numbers an ExpandString
// template refers to, scanning it as ExpandString does: "$$" is a literal
// dollar, "$name" takes the longest run of letters, digits and
// underscores, "${name}" is braced, and any other "$" is literal text.
func templateGroups(t string) []string {
	var out []string
	for i := 0; i < len(t); i++ {
		if t[i] != '$' || i+1 == len(t) {
			continue
		}
		rest := t[i+1:]
		switch {
		case rest[0] == '$':
			i++
		case rest[0] == '{':
			end := 1
			for end < len(rest) && isNameByte(rest[end]) {
				end++
			}
			if end > 1 && end < len(rest) && rest[end] == '}' {
				out = append(out, rest[1:end])
				i += end + 1
			}
		default:
			end := 0
			for end < len(rest) && isNameByte(rest[end]) {
				end++
			}
			if end > 0 {
				out = append(out, rest[:end])
				i += end
			}
		}
	}
	return out
}

// isNameByte reports whether b may be part of a template's group name.
func isNameByte(b byte) bool {
	return b == '_' || '0' <= b && b <= '9' || 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z'
}

// hasGroup reports whether name is a group of re. As in ExpandString, a
// name of digits without a leading zero is a group's number (0 is the
// whole match); anything else, "01" included, is a group's name.
func hasGroup(re *regexp.Regexp, name string) bool {
	if name == "0" || name[0] != '0' && strings.Trim(name, "0123456789") == "" {
		n, err := strconv.Atoi(name)
		return err == nil && n <= re.NumSubexp()
	}
	return slices.Contains(re.SubexpNames()[1:], name)
}

// groupList names the groups a template may use with re, for a message.
func groupList(re *regexp.Regexp) string {
	list := fmt.Sprintf("$0..$%d", re.NumSubexp())
	if re.NumSubexp() == 0 {
		list = "$0"
	}
	for _, n := range re.SubexpNames()[1:] {
		if n != "" {
			list += ", $" + n
		}
	}
	return list
}
