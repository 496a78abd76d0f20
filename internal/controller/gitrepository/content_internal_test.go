package gitrepository

import (
	"testing"

	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
)

func TestContentChanged(t *testing.T) {
	ignore, sameIgnore, other := "/a\n", "/a\n", "/b\n"
	incl := []sourcev1.GitRepositoryInclude{{GitRepositoryRef: meta.LocalObjectReference{Name: "lib"}}}
	art := func(digest string) *meta.Artifact { return &meta.Artifact{Revision: "main@sha1:1", Digest: digest} }
	for _, tc := range []struct {
		name     string
		spec     sourcev1.GitRepositorySpec
		status   sourcev1.GitRepositoryStatus
		includes []*meta.Artifact
		want     bool
	}{
		{name: "nothing set", want: false},
		{name: "ignore added", spec: sourcev1.GitRepositorySpec{Ignore: &ignore}, want: true},
		{name: "ignore removed", status: sourcev1.GitRepositoryStatus{ObservedIgnore: &ignore}, want: true},
		{name: "ignore changed", spec: sourcev1.GitRepositorySpec{Ignore: &other},
			status: sourcev1.GitRepositoryStatus{ObservedIgnore: &ignore}, want: true},
		{name: "ignore same", spec: sourcev1.GitRepositorySpec{Ignore: &ignore},
			status: sourcev1.GitRepositoryStatus{ObservedIgnore: &sameIgnore}, want: false},
		{name: "include added", spec: sourcev1.GitRepositorySpec{Include: incl}, includes: []*meta.Artifact{art("x")}, want: true},
		{name: "include same artifact", spec: sourcev1.GitRepositorySpec{Include: incl},
			status:   sourcev1.GitRepositoryStatus{ObservedInclude: incl, IncludedArtifacts: []*meta.Artifact{art("x")}},
			includes: []*meta.Artifact{art("x")}, want: false},
		{name: "included artifact changed", spec: sourcev1.GitRepositorySpec{Include: incl},
			status:   sourcev1.GitRepositoryStatus{ObservedInclude: incl, IncludedArtifacts: []*meta.Artifact{art("x")}},
			includes: []*meta.Artifact{art("y")}, want: true},
	} {
		obj := &sourcev1.GitRepository{Spec: tc.spec, Status: tc.status}
		if got := contentChanged(obj, tc.includes); got != tc.want {
			t.Errorf("%s: contentChanged = %v, want %v", tc.name, got, tc.want)
		}
	}
}
