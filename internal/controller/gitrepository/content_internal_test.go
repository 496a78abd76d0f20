package gitrepository

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
)

func TestJitter(t *testing.T) {
	for _, tc := range []struct {
		d       time.Duration
		percent int
		f       float64
		want    time.Duration
	}{
		{10 * time.Minute, 5, 0.5, 10 * time.Minute},
		{10 * time.Minute, 5, 0, 9*time.Minute + 30*time.Second},
		{10 * time.Minute, 5, 1, 10*time.Minute + 30*time.Second},
		{10 * time.Minute, 10, 0.75, 10*time.Minute + 30*time.Second},
		{10 * time.Minute, 0, 0, 10 * time.Minute},
		{10 * time.Minute, -1, 0, 10 * time.Minute},
		{10 * time.Minute, 100, 0, 10 * time.Minute},
		{0, 5, 0, 0},
	} {
		if got := jitter(tc.d, tc.percent, tc.f); got != tc.want {
			t.Errorf("jitter(%s, %d%%, %v) = %s, want %s", tc.d, tc.percent, tc.f, got, tc.want)
		}
	}
	// The reconciler's requeue stays within the default ±5%.
	r := &Reconciler{}
	obj := &sourcev1.GitRepository{Spec: sourcev1.GitRepositorySpec{Interval: metav1.Duration{Duration: time.Hour}}}
	for range 100 {
		if d := r.requeueAfter(obj); d < 57*time.Minute || d > 63*time.Minute {
			t.Fatalf("requeueAfter = %s, outside 1h ± 5%%", d)
		}
	}
	r.IntervalJitterPercentage = -1
	if d := r.requeueAfter(obj); d != time.Hour {
		t.Errorf("requeueAfter without jitter = %s", d)
	}
}

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
