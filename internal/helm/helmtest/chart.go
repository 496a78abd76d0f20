package helmtest

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	chart "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
	"sigs.k8s.io/yaml"
)

// DefaultTemplate is the template a Chart without Templates gets, as
// templates/configmap.yaml: a ConfigMap named after the release and the
// chart, in the release's namespace, whose data is .Values.data when set.
const DefaultTemplate = `apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-{{ .Chart.Name }}
  namespace: {{ .Release.Namespace }}
{{- with .Values.data }}
data:
  {{- toYaml . | nindent 2 }}
{{- end }}
`

// DefaultValues is the values.yaml of a Chart whose Values is empty.
const DefaultValues = "data: {}\n"

// fixedTime is the modification time of every file of a packaged chart and
// the creation time of every index entry, so the same Chart always gives
// the same bytes.
var fixedTime = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Chart is a chart a test builds.
type Chart struct {
	// Name and Version are required.
	Name, Version, AppVersion, KubeVersion string
	// Templates maps a file name under templates/ to its content. Nil gives
	// one template, "configmap.yaml" with DefaultTemplate.
	Templates map[string]string
	// Values is the content of values.yaml; "" gives DefaultValues.
	Values string
	// Files are more files, paths relative to the chart root
	// (crds/x.yaml, values-prod.yaml, charts/sub/Chart.yaml, .helmignore).
	Files map[string]string
	// Dependencies are written into Chart.yaml (apiVersion v2).
	Dependencies []Dependency
}

// Dependency is an entry of Chart.yaml's dependencies.
type Dependency struct{ Name, Version, Repository, Condition string }

// Metadata returns the Chart.yaml the chart is written with.
func (c Chart) Metadata() *chart.Metadata {
	md := &chart.Metadata{
		APIVersion:  chart.APIVersionV2,
		Name:        c.Name,
		Version:     c.Version,
		AppVersion:  c.AppVersion,
		KubeVersion: c.KubeVersion,
		Type:        "application",
		Description: "A chart built by ferry's helmtest",
	}
	for _, d := range c.Dependencies {
		md.Dependencies = append(md.Dependencies, &chart.Dependency{
			Name: d.Name, Version: d.Version, Repository: d.Repository, Condition: d.Condition,
		})
	}
	return md
}

// FileName returns the archive's file name, "<name>-<version>.tgz".
func (c Chart) FileName() string { return c.Name + "-" + c.Version + ".tgz" }

// files returns every file of the unpacked chart by slash path.
func (c Chart) files() (map[string][]byte, error) {
	if c.Name == "" || c.Version == "" {
		return nil, fmt.Errorf("helmtest: chart needs a Name and a Version (got %q %q)", c.Name, c.Version)
	}
	md, err := yaml.Marshal(c.Metadata())
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{chartutil.ChartfileName: md}
	values := c.Values
	if values == "" {
		values = DefaultValues
	}
	out[chartutil.ValuesfileName] = []byte(values)
	templates := c.Templates
	if templates == nil {
		templates = map[string]string{"configmap.yaml": DefaultTemplate}
	}
	for name, content := range templates {
		out["templates/"+filepath.ToSlash(name)] = []byte(content)
	}
	for name, content := range c.Files {
		out[filepath.ToSlash(filepath.Clean(name))] = []byte(content)
	}
	return out, nil
}

// WriteDir writes the unpacked chart at dir (created if missing), as a Git
// source holds it.
func (c Chart) WriteDir(t testing.TB, dir string) {
	t.Helper()
	if err := c.writeDir(dir); err != nil {
		t.Fatal(err)
	}
}

func (c Chart) writeDir(dir string) error {
	files, err := c.files()
	if err != nil {
		return err
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("helmtest: %w", err)
		}
		if err := os.WriteFile(p, files[name], 0o644); err != nil {
			return fmt.Errorf("helmtest: %w", err)
		}
		if err := os.Chtimes(p, fixedTime, fixedTime); err != nil {
			return fmt.Errorf("helmtest: %w", err)
		}
	}
	return nil
}

// Package returns the chart as `helm package` makes it: a gzipped tar with
// every entry under "<name>/", written by Helm's own loader and
// chartutil.Save (so .helmignore applies).
func (c Chart) Package(t testing.TB) []byte {
	t.Helper()
	data, err := c.Archive()
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// Archive is Package for callers without a testing.TB.
func (c Chart) Archive() ([]byte, error) {
	tmp, err := os.MkdirTemp("", "helmtest-")
	if err != nil {
		return nil, fmt.Errorf("helmtest: %w", err)
	}
	defer os.RemoveAll(tmp)
	src := filepath.Join(tmp, c.Name)
	if err := c.writeDir(src); err != nil {
		return nil, err
	}
	ch, err := loader.LoadDir(src)
	if err != nil {
		return nil, fmt.Errorf("helmtest: load chart %s: %w", c.Name, err)
	}
	out := filepath.Join(tmp, "out")
	path, err := chartutil.Save(ch, out)
	if err != nil {
		return nil, fmt.Errorf("helmtest: package chart %s: %w", c.Name, err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("helmtest: %w", err)
	}
	return data, nil
}
