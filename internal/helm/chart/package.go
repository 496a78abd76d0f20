package chart

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/Masterminds/semver/v3"
	"helm.sh/helm/v4/pkg/chart/common"
	chart "helm.sh/helm/v4/pkg/chart/v2"
	"sigs.k8s.io/yaml"
)

// Package returns the chart as a .tgz, laid out as Helm's chartutil.Save
// writes it ("<name>/Chart.yaml", values.yaml, templates, files, and every
// dependency under "<name>/charts/<dependency>/"), deterministically: the
// same chart always gives the same bytes.
func Package(ch *chart.Chart) ([]byte, error) {
	if err := ch.Validate(); err != nil {
		return nil, fmt.Errorf("chart validation: %w", err)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf) // no name, no timestamp: reproducible
	tw := tar.NewWriter(zw)
	if err := writeChart(tw, ch, ""); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// writeChart writes ch below prefix, as Helm's writeTarContents does.
func writeChart(tw *tar.Writer, ch *chart.Chart, prefix string) error {
	name := ch.Name()
	if name == "" || path.Base(name) != name || name == "." || name == ".." || strings.Contains(name, `\`) {
		return fmt.Errorf("invalid chart name '%s'", name)
	}
	base := path.Join(prefix, name)

	// Chart.yaml; a v1 chart keeps its dependencies in requirements.yaml.
	md := *ch.Metadata
	if md.APIVersion == chart.APIVersionV1 {
		md.Dependencies = nil
	}
	data, err := yaml.Marshal(&md)
	if err != nil {
		return fmt.Errorf("encoding Chart.yaml of '%s': %w", name, err)
	}
	if err := writeFile(tw, path.Join(base, "Chart.yaml"), data); err != nil {
		return err
	}
	if md.APIVersion == chart.APIVersionV2 && ch.Lock != nil {
		data, err := yaml.Marshal(ch.Lock)
		if err != nil {
			return fmt.Errorf("encoding Chart.lock of '%s': %w", name, err)
		}
		if err := writeFile(tw, path.Join(base, "Chart.lock"), data); err != nil {
			return err
		}
	}
	for _, f := range ch.Raw {
		if f.Name == valuesFileName {
			if err := writeFile(tw, path.Join(base, valuesFileName), f.Data); err != nil {
				return err
			}
			break
		}
	}
	if ch.Schema != nil {
		if !json.Valid(ch.Schema) {
			return fmt.Errorf("invalid JSON in values.schema.json of '%s'", name)
		}
		if err := writeFile(tw, path.Join(base, "values.schema.json"), ch.Schema); err != nil {
			return err
		}
	}
	for _, files := range [][]*common.File{ch.Templates, ch.Files} {
		for _, f := range sortedFiles(files) {
			if err := writeFile(tw, path.Join(base, f.Name), f.Data); err != nil {
				return err
			}
		}
	}
	deps := slices.Clone(ch.Dependencies())
	slices.SortStableFunc(deps, func(a, b *chart.Chart) int { return strings.Compare(a.Name(), b.Name()) })
	for _, dep := range deps {
		if err := writeChart(tw, dep, path.Join(base, "charts")); err != nil {
			return err
		}
	}
	return nil
}

func sortedFiles(files []*common.File) []*common.File {
	out := slices.Clone(files)
	slices.SortStableFunc(out, func(a, b *common.File) int { return strings.Compare(a.Name, b.Name) })
	return out
}

func writeFile(tw *tar.Writer, name string, data []byte) error {
	if err := tw.WriteHeader(&tar.Header{
		Typeflag: tar.TypeReg,
		Name:     name,
		Mode:     0o644,
		Size:     int64(len(data)),
		ModTime:  modTime,
		Format:   tar.FormatPAX,
	}); err != nil {
		return fmt.Errorf("packaging %s: %w", name, err)
	}
	if _, err := tw.Write(data); err != nil {
		return fmt.Errorf("packaging %s: %w", name, err)
	}
	return nil
}

func newFile(name string, data []byte) *common.File {
	return &common.File{Name: name, ModTime: modTime, Data: data}
}

// SetVersionMetadata sets the SemVer build metadata of the chart's version
// (VersionWithMetadata) and returns the new version.
func SetVersionMetadata(ch *chart.Chart, metadata string) (string, error) {
	v, err := VersionWithMetadata(ch.Metadata.Version, metadata)
	if err != nil {
		return "", err
	}
	ch.Metadata.Version = v
	return v, nil
}

// VersionWithMetadata returns version with its SemVer build metadata set
// to metadata (replacing any it had): "1.2.3" with "4" is "1.2.3+4", as Flux
// marks the charts it builds with values files or from a source revision.
// Empty metadata returns version as it is.
func VersionWithMetadata(version, metadata string) (string, error) {
	if metadata == "" {
		return version, nil
	}
	v, err := semver.NewVersion(version)
	if err != nil {
		return "", fmt.Errorf("failed to parse version '%s' from chart metadata as SemVer: %w", version, err)
	}
	nv, err := v.SetMetadata(metadata)
	if err != nil {
		return "", fmt.Errorf("failed to set SemVer metadata '%s' on chart version '%s': %w", metadata, version, err)
	}
	return nv.String(), nil
}
