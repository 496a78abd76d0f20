package release

import (
	"fmt"
	"sort"

	ri "helm.sh/helm/v4/pkg/release"
	releasev1 "helm.sh/helm/v4/pkg/release/v1"
)

func toV1(rel ri.Releaser) (*releasev1.Release, error) {
	switch r := rel.(type) {
	case *releasev1.Release:
		return r, nil
	case releasev1.Release:
		return &r, nil
	case nil:
		return nil, nil
	}
	return nil, fmt.Errorf("unsupported Helm release type %T", rel)
}

// releaseOf returns the release an action returned, nil when none.
func releaseOf(rel ri.Releaser) *releasev1.Release {
	r, _ := toV1(rel)
	return r
}

func sortNewestFirst(rels []*releasev1.Release) {
	sort.Slice(rels, func(i, j int) bool { return rels[i].Version > rels[j].Version })
}
