package chartregistry

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/ferrycd/ferry/internal/helm/chart"
)

// PushDir packages the chart directory dir as `helm package` does and
// pushes it. Dependencies that the chart's charts/ does not hold are
// resolved when they are "file://" paths inside dir's parent directory;
// any other one must be vendored first (`helm dependency build`).
func (r *Registry) PushDir(ctx context.Context, dir string, opts PushOptions) (Pushed, error) {
	root, base := filepath.Dir(dir), filepath.Base(dir)
	ch, err := chart.LoadDir(root, base)
	if err != nil {
		return Pushed{}, fmt.Errorf("chart %s: %w", dir, err)
	}
	if _, err := chart.BuildDependencies(ctx, ch, root, base, nil); err != nil {
		return Pushed{}, fmt.Errorf("chart %s: %w (vendor it into %s with 'helm dependency build')", dir, err, filepath.Join(dir, "charts"))
	}
	archive, err := chart.Package(ch)
	if err != nil {
		return Pushed{}, fmt.Errorf("chart %s: %w", dir, err)
	}
	p, err := r.Push(ctx, archive, opts)
	if err != nil {
		return Pushed{}, fmt.Errorf("chart %s: %w", dir, err)
	}
	p.Dir = dir
	return p, nil
}

// ChartDirs returns the chart directories directly under dir, those with a
// Chart.yaml, sorted. A missing dir has none.
func ChartDirs(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		if fi, err := os.Stat(p); err != nil || !fi.IsDir() {
			continue
		}
		if fi, err := os.Stat(filepath.Join(p, "Chart.yaml")); err == nil && fi.Mode().IsRegular() {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out, nil
}

// PushCharts pushes every chart directory directly under dir (ChartDirs),
// in name order. A chart that fails does not stop the others: the pushed
// ones are returned with the failures joined in the error.
func (r *Registry) PushCharts(ctx context.Context, dir string, opts PushOptions) ([]Pushed, error) {
	dirs, err := ChartDirs(dir)
	if err != nil {
		return nil, fmt.Errorf("listing the charts in %s: %w", dir, err)
	}
	var pushed []Pushed
	var errs []error
	for _, d := range dirs {
		p, err := r.PushDir(ctx, d, opts)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		pushed = append(pushed, p)
	}
	return pushed, errors.Join(errs...)
}
