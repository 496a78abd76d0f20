package git

import (
	"fmt"
	"sort"
	"strings"

	"github.com/Masterminds/semver/v3"
	"github.com/go-git/go-git/v5/plumbing"
)

// highestSemVerTag returns the tag with the highest version matching the
// Masterminds semver range among refs, and the commit it points to. Tags
// that are not versions are ignored. Of two tags with the same version
// ("v1.0.0" and "1.0.0") the one sorting last by name wins, so the choice
// is stable.
func highestSemVerTag(refs map[string]plumbing.Hash, semverRange string) (plumbing.ReferenceName, plumbing.Hash, error) {
	constraint, err := semver.NewConstraint(semverRange)
	if err != nil {
		return "", plumbing.ZeroHash, &scrubbedError{msg: fmt.Sprintf("semver parse error: invalid range '%s': %s", semverRange, err), cause: ErrInvalidReference}
	}
	type candidate struct {
		name    plumbing.ReferenceName
		version *semver.Version
	}
	var found []candidate
	for name := range refs {
		ref := plumbing.ReferenceName(name)
		if !ref.IsTag() {
			continue
		}
		v, err := semver.NewVersion(ref.Short())
		if err != nil || !constraint.Check(v) {
			continue
		}
		found = append(found, candidate{ref, v})
	}
	if len(found) == 0 {
		return "", plumbing.ZeroHash, &scrubbedError{msg: fmt.Sprintf("no match found for semver: %s", semverRange), cause: plumbing.ErrReferenceNotFound}
	}
	sort.Slice(found, func(i, j int) bool {
		if c := found[i].version.Compare(found[j].version); c != 0 {
			return c < 0
		}
		return strings.Compare(found[i].name.String(), found[j].name.String()) < 0
	})
	best := found[len(found)-1]
	return best.name, refs[best.name.String()], nil
}
