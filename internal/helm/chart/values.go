package chart

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"

	chart "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"sigs.k8s.io/yaml"
)

// valuesFileName is the chart's default values file.
const valuesFileName = "values.yaml"

// MergeValuesFiles merges the values files files in order, a later file
// winning over an earlier one (maps merged deeply, anything else replaced),
// and returns the result and the files that were found.
//
// With root set the chart comes from the source artifact unpacked at root,
// its directory at chartPath: a file is looked up relative to root first,
// as Flux does, then relative to the chart directory; both confined to root
// (ErrOutsideRoot). With root empty the chart comes from a repository and
// the files are those of ch (chartPath is ignored). A file found nowhere is
// skipped with ignoreMissing and an ErrNotFound error without.
func MergeValuesFiles(ch *chart.Chart, root, chartPath string, files []string, ignoreMissing bool, opts ...Option) (map[string]any, []string, error) {
	o := newOptions(opts)
	var r *os.Root
	if root != "" {
		var err error
		if r, err = os.OpenRoot(root); err != nil {
			return nil, nil, fmt.Errorf("opening the source artifact: %w", err)
		}
		defer r.Close()
	}
	merged := map[string]any{}
	var used []string
	for _, f := range files {
		var data []byte
		var err error
		if r != nil {
			data, err = readSourceValues(r, chartPath, f, o)
		} else {
			data, err = chartValues(ch, f)
		}
		if errors.Is(err, ErrNotFound) && ignoreMissing {
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		values, err := loader.LoadValues(bytes.NewReader(data))
		if err != nil {
			return nil, nil, fmt.Errorf("parsing values file '%s': %w", f, err)
		}
		merged = loader.MergeMaps(merged, values)
		used = append(used, f)
	}
	return merged, used, nil
}

// readSourceValues reads the values file f from the artifact: relative to
// its root, else relative to the chart directory.
func readSourceValues(r *os.Root, chartPath, f string, o options) ([]byte, error) {
	var tried []string
	var escaped error
	for _, candidate := range []string{f, path.Join(chartPath, f)} {
		p, err := ConfinedPath(candidate)
		if err != nil {
			escaped = err
			continue
		}
		if len(tried) > 0 && tried[0] == p {
			continue
		}
		tried = append(tried, p)
		data, err := readConfined(r, p, o.maxFileSize)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("values file '%s': %w", f, err)
		}
		return data, nil
	}
	switch len(tried) {
	case 0:
		return nil, fmt.Errorf("invalid values file '%s': %w", f, escaped)
	case 1:
		return nil, fmt.Errorf("no values file found at path '%s' in the source artifact: %w", tried[0], ErrNotFound)
	default:
		return nil, fmt.Errorf("no values file found at path '%s' nor '%s' in the source artifact: %w", tried[0], tried[1], ErrNotFound)
	}
}

// chartValues returns the file f of a packaged chart.
func chartValues(ch *chart.Chart, f string) ([]byte, error) {
	name := path.Clean(f)
	for _, file := range ch.Raw {
		if file.Name == name {
			return file.Data, nil
		}
	}
	return nil, fmt.Errorf("no values file found at path '%s' in chart '%s': %w", f, ch.Name(), ErrNotFound)
}

// ReplaceValues makes values the chart's values.yaml (and its default
// values), as Flux does with the merged values files.
func ReplaceValues(ch *chart.Chart, values map[string]any) error {
	var data []byte
	if len(values) > 0 {
		var err error
		if data, err = yaml.Marshal(values); err != nil {
			return fmt.Errorf("encoding the merged values: %w", err)
		}
	}
	ch.Values = values
	for _, f := range ch.Raw {
		if f.Name == valuesFileName {
			f.Data = data
			return nil
		}
	}
	ch.Raw = append(ch.Raw, newFile(valuesFileName, data))
	return nil
}
