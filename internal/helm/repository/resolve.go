package repository

import (
	"fmt"
	"strings"

	"github.com/Masterminds/semver/v3"
	repo "helm.sh/helm/v4/pkg/repo/v1"
)

// Resolve returns the newest version of the chart name in index matching
// versionRange, as Helm picks it: "" and "*" mean the newest stable version;
// an exact version matches itself (also a pre-release or one with build
// metadata); a range includes pre-releases only when it names one
// (">=1.0.0-0"). Versions that are not semver are skipped by ranges.
func Resolve(index *repo.IndexFile, name, versionRange string) (*repo.ChartVersion, error) {
	if index == nil {
		return nil, fmt.Errorf("no index to resolve chart '%s' in", name)
	}
	versions, ok := index.Entries[name]
	if !ok || len(versions) == 0 {
		return nil, fmt.Errorf("chart '%s' not found in the repository index", name)
	}
	versionRange = strings.TrimSpace(versionRange)
	if versionRange == "" {
		versionRange = "*"
	}
	for _, cv := range versions {
		if cv.Version == versionRange {
			return cv, nil
		}
	}
	constraint, err := semver.NewConstraint(versionRange)
	if err != nil {
		return nil, fmt.Errorf("invalid version range '%s' for chart '%s': %w", versionRange, name, err)
	}
	var best *repo.ChartVersion
	var bestVersion *semver.Version
	for _, cv := range versions {
		v, err := semver.NewVersion(cv.Version)
		if err != nil || !constraint.Check(v) {
			continue
		}
		if bestVersion == nil || v.GreaterThan(bestVersion) {
			best, bestVersion = cv, v
		}
	}
	if best == nil {
		return nil, fmt.Errorf("no '%s' chart with version matching '%s' found", name, versionRange)
	}
	return best, nil
}

// newest returns the newest of tags (OCI tags, "_" meaning "+") matching
// versionRange, with Resolve's rules, as a version.
func newest(tags []string, name, versionRange string) (string, error) {
	versionRange = strings.TrimSpace(versionRange)
	if versionRange == "" {
		versionRange = "*"
	}
	constraint, err := semver.NewConstraint(versionRange)
	if err != nil {
		return "", fmt.Errorf("invalid version range '%s' for chart '%s': %w", versionRange, name, err)
	}
	var best *semver.Version
	var bestVersion string
	for _, tag := range tags {
		version := strings.ReplaceAll(tag, "_", "+")
		v, err := semver.StrictNewVersion(version)
		if err != nil || !constraint.Check(v) {
			continue
		}
		if best == nil || v.GreaterThan(best) {
			best, bestVersion = v, version
		}
	}
	if best == nil {
		return "", fmt.Errorf("no '%s' chart with version matching '%s' found", name, versionRange)
	}
	return bestVersion, nil
}
