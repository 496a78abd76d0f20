package release

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/Masterminds/semver/v3"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"

	helmv2 "github.com/ferrycd/ferry/api/helm/v2"
	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
)

// Opener opens the archive of an artifact, verified against its digest:
// an artifact.Fetcher's Open, or the storage the web UI is handed.
type Opener func(ctx context.Context, a *meta.Artifact) (io.ReadSeekCloser, error)

// ChartKey returns the HelmChart hr installs from: the one ferry makes from
// spec.chart ("<sourceNamespace>/<hrNamespace>-<hrName>") or the HelmChart
// of spec.chartRef; false for other chartRef kinds.
func ChartKey(hr *helmv2.HelmRelease) (types.NamespacedName, bool) {
	switch {
	case hr.Spec.Chart != nil:
		ns := hr.Spec.Chart.Spec.SourceRef.Namespace
		if ns == "" {
			ns = hr.Namespace
		}
		return types.NamespacedName{Namespace: ns, Name: hr.GetHelmChartName()}, true
	case hr.Spec.ChartRef != nil && hr.Spec.ChartRef.Kind == sourcev1.HelmChartKind:
		return chartRefKey(hr), true
	}
	return types.NamespacedName{}, false
}

// ChartSource is the source object a HelmRelease's chart is read from:
// the HelmChart of spec.chart or spec.chartRef, or the OCIRepository of
// spec.chartRef, whose artifact is the chart (a Helm chart in a
// registry, its layer copied or extracted).
type ChartSource struct {
	Kind string
	Key  types.NamespacedName
	// Object is the source as read; nil before it is.
	Object sourcev1.Source
}

func (s *ChartSource) String() string { return fmt.Sprintf("%s '%s'", s.Kind, s.Key) }

// ChartSourceRef names the chart source of hr (Object unset); false when
// hr has neither spec.chart nor a spec.chartRef of a kind ferry reads.
func ChartSourceRef(hr *helmv2.HelmRelease) (*ChartSource, bool) {
	if key, ok := ChartKey(hr); ok {
		return &ChartSource{Kind: sourcev1.HelmChartKind, Key: key}, true
	}
	if ref := hr.Spec.ChartRef; ref != nil && ref.Kind == sourcev1.OCIRepositoryKind {
		return &ChartSource{Kind: ref.Kind, Key: chartRefKey(hr)}, true
	}
	return nil, false
}

// chartRefKey is the object spec.chartRef names, in hr's namespace unless
// it names another.
func chartRefKey(hr *helmv2.HelmRelease) types.NamespacedName {
	ns := hr.Spec.ChartRef.Namespace
	if ns == "" {
		ns = hr.Namespace
	}
	return types.NamespacedName{Namespace: ns, Name: hr.Spec.ChartRef.Name}
}

// ChartUnavailableError says why a HelmRelease's chart cannot be read from
// the cluster: its source does not exist or has no artifact yet, or
// spec.chartRef names a kind ferry does not read.
type ChartUnavailableError struct{ msg string }

func (e *ChartUnavailableError) Error() string { return e.msg }

// GetChartSource reads the chart source of hr with c, which has an
// artifact. A chart that is not there to read is a *ChartUnavailableError;
// c's other errors are wrapped (a Forbidden stays one for
// apierrors.IsForbidden).
func GetChartSource(ctx context.Context, c client.Reader, hr *helmv2.HelmRelease) (*ChartSource, error) {
	src, ok := ChartSourceRef(hr)
	if !ok {
		if ref := hr.Spec.ChartRef; ref != nil {
			return nil, &ChartUnavailableError{fmt.Sprintf("HelmRelease '%s/%s' takes its chart from %s '%s', which ferry cannot read: use HelmChart or OCIRepository", hr.Namespace, hr.Name, ref.Kind, chartRefKey(hr))}
		}
		return nil, &ChartUnavailableError{fmt.Sprintf("HelmRelease '%s/%s' has neither spec.chart nor spec.chartRef", hr.Namespace, hr.Name)}
	}
	obj := src.New()
	if err := c.Get(ctx, src.Key, obj.(client.Object)); err != nil {
		if apierrors.IsNotFound(err) {
			msg := fmt.Sprintf("%s of HelmRelease '%s/%s' not found", src, hr.Namespace, hr.Name)
			if hr.Spec.Chart != nil {
				msg += " (the controller creates it on the first reconciliation)"
			}
			return nil, &ChartUnavailableError{msg}
		}
		return nil, fmt.Errorf("getting %s: %w", src, err)
	}
	src.Object = obj
	if obj.GetArtifact() == nil {
		return nil, &ChartUnavailableError{fmt.Sprintf("%s has no artifact yet", src)}
	}
	return src, nil
}

// New returns an empty object of the source's kind.
func (s *ChartSource) New() sourcev1.Source {
	if s.Kind == sourcev1.OCIRepositoryKind {
		return &sourcev1.OCIRepository{}
	}
	return &sourcev1.HelmChart{}
}

// FetchError is a chart artifact that could not be opened.
type FetchError struct {
	// Source names the chart's source; Revision is its artifact's.
	Source   string
	Revision string
	Err      error
}

func (e *FetchError) Error() string {
	return fmt.Sprintf("fetching the chart artifact of %s: %v", e.Source, e.Err)
}

func (e *FetchError) Unwrap() error { return e.Err }

// LoadChart opens the artifact of src with open and loads the chart; an
// error of open is a *FetchError. Every action loads its own copy: Helm
// modifies a chart while it renders (dependencies, values).
//
// From an OCIRepository, as Flux's helm-controller, the chart's version
// gets the artifact's digest as build metadata, "<version>+<12 hex>", so
// that a new artifact of one version is an upgrade; an artifact whose tag
// is not the chart's version is refused.
func LoadChart(ctx context.Context, src *ChartSource, open Opener) (*chartv2.Chart, error) {
	art := src.Object.GetArtifact()
	if art == nil {
		return nil, &ChartUnavailableError{fmt.Sprintf("%s has no artifact yet", src)}
	}
	f, err := open(ctx, art)
	if err != nil {
		return nil, &FetchError{Source: src.String(), Revision: art.Revision, Err: err}
	}
	defer f.Close()
	ch, err := loader.LoadArchive(f)
	if err != nil {
		return nil, fmt.Errorf("loading the chart of %s (revision %s): %w", src, art.Revision, err)
	}
	if src.Kind == sourcev1.OCIRepositoryKind {
		if ch.Metadata.Version, err = OCIChartVersion(ch.Metadata.Version, art.Revision); err != nil {
			return nil, fmt.Errorf("the chart of %s: %w", src, err)
		}
	}
	return ch, nil
}

// OCIChartVersion is the version of a chart of version from an
// OCIRepository artifact of revision ("<tag>@sha256:<hex>" or
// "sha256:<hex>"): the version with the digest's first 12 hex digits as
// build metadata. The tag ('_' standing for '+', as Helm pushes) must be
// the same version.
func OCIChartVersion(version, revision string) (string, error) {
	v, err := semver.StrictNewVersion(version)
	if err != nil {
		return "", fmt.Errorf("chart version '%s' is not a semantic version: %w", version, err)
	}
	tag, digest, tagged := strings.Cut(revision, "@")
	if !tagged {
		digest = revision
	}
	_, hex, ok := strings.Cut(digest, ":")
	if !ok || len(hex) < 12 {
		return "", fmt.Errorf("artifact revision '%s' has no digest", revision)
	}
	if tagged {
		t, err := semver.NewVersion(strings.Replace(tag, "_", "+", 1))
		if err != nil || !t.Equal(v) {
			return "", fmt.Errorf("artifact tag '%s' is not the chart's version '%s': tag a chart with its version", tag, version)
		}
	}
	withDigest, err := v.SetMetadata(hex[:12])
	if err != nil {
		return "", err
	}
	return withDigest.String(), nil
}
