package repository

import (
	"strings"
	"testing"

	chart "helm.sh/helm/v4/pkg/chart/v2"
	repo "helm.sh/helm/v4/pkg/repo/v1"
)

func testIndex(versions ...string) *repo.IndexFile {
	index := &repo.IndexFile{APIVersion: "v1", Entries: map[string]repo.ChartVersions{}}
	for _, v := range versions {
		index.Entries["demo"] = append(index.Entries["demo"], &repo.ChartVersion{Metadata: &chart.Metadata{Name: "demo", Version: v}})
	}
	index.SortEntries()
	return index
}

func TestResolve(t *testing.T) {
	index := testIndex("1.0.0", "1.2.0", "1.10.0", "2.0.0-rc.1", "0.9.0", "1.5.0+build.7", "not-semver")
	tests := map[string]struct{ chart, version, want, wantErr string }{
		"empty is newest stable":      {version: "", want: "1.10.0"},
		"star is newest stable":       {version: "*", want: "1.10.0"},
		"exact":                       {version: "1.2.0", want: "1.2.0"},
		"exact pre-release":           {version: "2.0.0-rc.1", want: "2.0.0-rc.1"},
		"exact build metadata":        {version: "1.5.0+build.7", want: "1.5.0+build.7"},
		"exact not semver":            {version: "not-semver", want: "not-semver"},
		"range":                       {version: "~1.2", want: "1.2.0"},
		"caret":                       {version: "^1.0.0", want: "1.10.0"},
		"range below":                 {version: "<1.0.0", want: "0.9.0"},
		"range with pre-releases":     {version: ">=1.0.0-0", want: "2.0.0-rc.1"},
		"no match":                    {version: ">=3", wantErr: "no 'demo' chart with version matching '>=3' found"},
		"invalid range":               {version: "abc>", wantErr: "invalid version range"},
		"unknown chart":               {chart: "nope", wantErr: "chart 'nope' not found"},
		"x range":                     {version: "1.x", want: "1.10.0"},
		"pre-release excluded by *":   {version: "*", want: "1.10.0"},
		"whitespace around a version": {version: " 1.0.0 ", want: "1.0.0"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			chartName := tt.chart
			if chartName == "" {
				chartName = "demo"
			}
			cv, err := Resolve(index, chartName, tt.version)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cv.Version != tt.want {
				t.Fatalf("resolved %s, want %s", cv.Version, tt.want)
			}
		})
	}
}

func TestNewestTag(t *testing.T) {
	tags := []string{"1.0.0", "1.1.0_build.2", "2.0.0-beta.1", "latest", "v3.0.0"}
	tests := map[string]struct{ version, want string }{
		"newest stable":   {"", "1.1.0+build.2"},
		"range":           {"<1.1.0", "1.0.0"},
		"pre-release":     {">=2.0.0-0", "2.0.0-beta.1"},
		"underscore back": {"~1.1", "1.1.0+build.2"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := newest(tags, "demo", tt.version)
			if err != nil || got != tt.want {
				t.Fatalf("got %q %v, want %q", got, err, tt.want)
			}
		})
	}
}
