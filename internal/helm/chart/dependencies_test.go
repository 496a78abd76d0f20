package chart

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// fakeRepos serves packaged charts by "<repository> <name>" and records
// what was asked for.
type fakeRepos struct {
	charts map[string][]byte
	asked  []string
}

func (f *fakeRepos) FetchChart(_ context.Context, repository, name, versionRange string) ([]byte, error) {
	f.asked = append(f.asked, fmt.Sprintf("%s %s %s", repository, name, versionRange))
	data, ok := f.charts[repository+" "+name]
	if !ok {
		return nil, errors.New("no such chart")
	}
	return data, nil
}

// packaged returns the .tgz of a minimal chart.
func packaged(t *testing.T, name, version string) []byte {
	t.Helper()
	root := t.TempDir()
	writeTree(t, root, chartFiles("c", name, version))
	ch, err := LoadDir(root, "c")
	if err != nil {
		t.Fatal(err)
	}
	data, err := Package(ch)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func chartYAML(deps string) string {
	return "apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n" + deps
}

func TestBuildDependencies(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, merge(
		chartFiles("charts/app", "app", "1.0.0"),
		chartFiles("charts/common", "common", "2.1.0"),
		chartFiles("charts/app/charts/vendored", "vendored", "0.1.0"),
		map[string]string{"charts/app/Chart.yaml": chartYAML(`
- name: common
  version: ^2.0.0
  repository: file://../common
- name: common
  alias: common2
  version: ^2.0.0
  repository: file://../common
- name: vendored
  version: 0.1.0
  repository: https://charts.example.com
- name: redis
  version: ">=1.0.0"
  repository: https://charts.example.com/
  condition: redis.enabled
- name: cache
  repository: oci://registry.example.com/charts
- name: tools
  version: 3.x
  repository: "@internal"
`)}))
	repos := &fakeRepos{charts: map[string][]byte{
		"https://charts.example.com/ redis":       packaged(t, "redis", "1.2.0"),
		"oci://registry.example.com/charts cache": packaged(t, "cache", "0.3.0"),
		"@internal tools":                         packaged(t, "tools", "3.4.0"),
	}}
	ch, err := LoadDir(root, "charts/app")
	if err != nil {
		t.Fatal(err)
	}
	n, err := BuildDependencies(context.Background(), ch, root, "charts/app", repos)
	if err != nil {
		t.Fatal(err)
	}
	if n != 4 {
		t.Errorf("added %d dependencies, want 4 (common once, redis, cache, tools)", n)
	}
	var names []string
	for _, d := range ch.Dependencies() {
		names = append(names, d.Name()+"@"+d.Metadata.Version)
	}
	if got, want := strings.Join(names, ","), "vendored@0.1.0,common@2.1.0,redis@1.2.0,cache@0.3.0,tools@3.4.0"; got != want {
		t.Errorf("dependencies = %s, want %s", got, want)
	}
	if got, want := strings.Join(repos.asked, "|"), "https://charts.example.com/ redis >=1.0.0|oci://registry.example.com/charts cache *|@internal tools 3.x"; got != want {
		t.Errorf("fetched %s, want %s", got, want)
	}
	// The dependencies are packaged into charts/.
	if _, err := Package(ch); err != nil {
		t.Fatal(err)
	}
}

func TestBuildDependenciesRefuses(t *testing.T) {
	outside := t.TempDir()
	writeTree(t, outside, chartFiles("common", "common", "1.0.0"))
	tests := map[string]struct {
		deps    string
		want    error
		message string
	}{
		"file dependency leaving the artifact": {
			deps: "- name: common\n  repository: file://../../../common\n", want: ErrOutsideRoot,
			message: "dependency 'common': repository 'file://../../../common': path '../common' is outside the source artifact"},
		"absolute file dependency": {
			deps: "- name: common\n  repository: file://" + outside + "/common\n", want: ErrOutsideRoot, message: "is an absolute path"},
		"missing file dependency": {
			deps: "- name: common\n  repository: file://../nope\n", want: ErrNotFound, message: "chart directory 'charts/nope' not found"},
		"version not satisfied": {
			deps: "- name: common\n  version: ^3.0.0\n  repository: file://../common\n", want: ErrDependency,
			message: "version '2.1.0' does not satisfy '^3.0.0'"},
		"another chart": {
			deps: "- name: other\n  repository: file://../common\n", want: ErrDependency, message: "is a chart named 'common'"},
		"no repository": {
			deps: "- name: lost\n", want: ErrDependency, message: "dependency 'lost' has no repository and is not in charts/"},
		"remote failure": {
			deps: "- name: redis\n  repository: https://charts.example.com\n", want: ErrDependency,
			message: "dependency 'redis' from 'https://charts.example.com': no such chart"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			root := t.TempDir()
			writeTree(t, root, merge(chartFiles("charts/app", "app", "1.0.0"), chartFiles("charts/common", "common", "2.1.0"),
				map[string]string{"charts/app/Chart.yaml": chartYAML(tt.deps)}))
			ch, err := LoadDir(root, "charts/app")
			if err != nil {
				t.Fatal(err)
			}
			_, err = BuildDependencies(context.Background(), ch, root, "charts/app", &fakeRepos{})
			if !errors.Is(err, tt.want) || !errors.Is(err, ErrDependency) || !strings.Contains(err.Error(), tt.message) {
				t.Errorf("err = %v; want %v saying %q", err, tt.want, tt.message)
			}
		})
	}
}
