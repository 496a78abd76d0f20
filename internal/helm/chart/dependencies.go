package chart

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"strings"

	"github.com/Masterminds/semver/v3"
	chart "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
)

// ErrDependency is returned (wrapped) when a dependency cannot be resolved.
var ErrDependency = errors.New("dependency build error")

// Repositories fetches the charts of remote dependencies.
type Repositories interface {
	// FetchChart returns the packaged chart (.tgz) name at the newest
	// version satisfying versionRange from repository, as Chart.yaml
	// spells it: an http(s):// or oci:// URL, or "@name" or "alias:name"
	// naming a repository.
	FetchChart(ctx context.Context, repository, name, versionRange string) ([]byte, error)
}

// IsLocalDependency reports whether a dependency's repository points into
// the chart's own source ("file://..."), or is empty.
func IsLocalDependency(repository string) bool {
	return repository == "" || strings.HasPrefix(repository, "file://")
}

// BuildDependencies adds to ch, the chart at chartPath in the source
// artifact unpacked at root (root empty for a packaged chart, which can
// only have remote dependencies), each dependency Chart.yaml lists that
// charts/ does not already hold: a "file://" one is loaded from the
// artifact relative to the chart directory (confined to root: ErrOutsideRoot),
// any other one is fetched through repos. It returns how many it added;
// its errors wrap ErrDependency.
func BuildDependencies(ctx context.Context, ch *chart.Chart, root, chartPath string, repos Repositories, opts ...Option) (int, error) {
	o := newOptions(opts)
	var r *os.Root
	added := 0
	have := map[string]bool{}
	for _, d := range ch.Dependencies() {
		have[d.Name()] = true
	}
	for _, dep := range ch.Metadata.Dependencies {
		if dep == nil || have[dep.Name] {
			continue // vendored in charts/, or an alias of one already added
		}
		versionRange := dep.Version
		if versionRange == "" {
			versionRange = "*"
		}
		var sub *chart.Chart
		var err error
		if IsLocalDependency(dep.Repository) {
			if root == "" {
				return added, fmt.Errorf("%w: dependency '%s' (repository '%s') is not in charts/ of the packaged chart", ErrDependency, dep.Name, dep.Repository)
			}
			if r == nil {
				if r, err = os.OpenRoot(root); err != nil {
					return added, fmt.Errorf("%w: opening the source artifact: %w", ErrDependency, err)
				}
				defer r.Close()
			}
			sub, err = localDependency(r, chartPath, dep, o)
		} else {
			sub, err = remoteDependency(ctx, repos, dep, versionRange)
		}
		if err != nil {
			return added, fmt.Errorf("%w: %w", ErrDependency, err)
		}
		if sub.Name() != dep.Name {
			return added, fmt.Errorf("%w: dependency '%s' from '%s' is a chart named '%s'", ErrDependency, dep.Name, dep.Repository, sub.Name())
		}
		if err := checkVersion(sub, versionRange); err != nil {
			return added, fmt.Errorf("%w: dependency '%s' from '%s': %w", ErrDependency, dep.Name, dep.Repository, err)
		}
		ch.AddDependency(sub)
		have[dep.Name] = true
		added++
	}
	return added, nil
}

// localDependency loads a "file://" dependency (or an empty repository,
// which can only mean charts/, already checked).
func localDependency(r *os.Root, chartPath string, dep *chart.Dependency, o options) (*chart.Chart, error) {
	if dep.Repository == "" {
		return nil, fmt.Errorf("dependency '%s' has no repository and is not in charts/", dep.Name)
	}
	rel := strings.TrimPrefix(dep.Repository, "file://")
	if path.IsAbs(rel) {
		return nil, fmt.Errorf("dependency '%s': repository '%s' is an absolute path: %w", dep.Name, dep.Repository, ErrOutsideRoot)
	}
	p, err := ConfinedPath(path.Join(chartPath, rel))
	if err != nil {
		return nil, fmt.Errorf("dependency '%s': repository '%s': %w", dep.Name, dep.Repository, err)
	}
	sub, err := loadDir(r, p, o)
	if err != nil {
		return nil, fmt.Errorf("dependency '%s': %w", dep.Name, err)
	}
	return sub, nil
}

// remoteDependency fetches a dependency through repos.
func remoteDependency(ctx context.Context, repos Repositories, dep *chart.Dependency, versionRange string) (*chart.Chart, error) {
	if repos == nil {
		return nil, fmt.Errorf("dependency '%s': no way to fetch from repository '%s'", dep.Name, dep.Repository)
	}
	data, err := repos.FetchChart(ctx, dep.Repository, dep.Name, versionRange)
	if err != nil {
		return nil, fmt.Errorf("dependency '%s' from '%s': %w", dep.Name, dep.Repository, err)
	}
	sub, err := loader.LoadArchive(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("dependency '%s' from '%s': loading the chart: %w", dep.Name, dep.Repository, err)
	}
	return sub, nil
}

// checkVersion checks the chart's version satisfies versionRange.
func checkVersion(ch *chart.Chart, versionRange string) error {
	c, err := semver.NewConstraint(versionRange)
	if err != nil {
		return fmt.Errorf("invalid version range '%s': %w", versionRange, err)
	}
	v, err := semver.NewVersion(ch.Metadata.Version)
	if err != nil {
		return fmt.Errorf("invalid chart version '%s': %w", ch.Metadata.Version, err)
	}
	if !c.Check(v) {
		return fmt.Errorf("version '%s' does not satisfy '%s'", ch.Metadata.Version, versionRange)
	}
	return nil
}
