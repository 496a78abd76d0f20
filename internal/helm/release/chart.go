package release

import (
	"context"
	"fmt"
	"io"

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
		ns := hr.Spec.ChartRef.Namespace
		if ns == "" {
			ns = hr.Namespace
		}
		return types.NamespacedName{Namespace: ns, Name: hr.Spec.ChartRef.Name}, true
	}
	return types.NamespacedName{}, false
}

// ChartUnavailableError says why a HelmRelease's chart cannot be read from
// the cluster: its HelmChart does not exist or has no artifact yet, or
// spec.chartRef names a kind ferry does not read.
type ChartUnavailableError struct{ msg string }

func (e *ChartUnavailableError) Error() string { return e.msg }

// HelmChart returns the HelmChart hr installs from, read with c, which has
// an artifact. A chart that is not there to read is a
// *ChartUnavailableError; c's other errors are wrapped (a Forbidden stays
// one for apierrors.IsForbidden).
func HelmChart(ctx context.Context, c client.Reader, hr *helmv2.HelmRelease) (*sourcev1.HelmChart, error) {
	key, ok := ChartKey(hr)
	if !ok {
		if ref := hr.Spec.ChartRef; ref != nil {
			ns := ref.Namespace
			if ns == "" {
				ns = hr.Namespace
			}
			return nil, &ChartUnavailableError{fmt.Sprintf("HelmRelease '%s/%s' takes its chart from %s '%s/%s', which ferry cannot read yet", hr.Namespace, hr.Name, ref.Kind, ns, ref.Name)}
		}
		return nil, &ChartUnavailableError{fmt.Sprintf("HelmRelease '%s/%s' has neither spec.chart nor spec.chartRef", hr.Namespace, hr.Name)}
	}
	hc := &sourcev1.HelmChart{}
	if err := c.Get(ctx, key, hc); err != nil {
		if apierrors.IsNotFound(err) {
			msg := fmt.Sprintf("HelmChart '%s' of HelmRelease '%s/%s' not found", key, hr.Namespace, hr.Name)
			if hr.Spec.Chart != nil {
				msg += " (the controller creates it on the first reconciliation)"
			}
			return nil, &ChartUnavailableError{msg}
		}
		return nil, fmt.Errorf("getting HelmChart '%s': %w", key, err)
	}
	if hc.GetArtifact() == nil {
		return nil, &ChartUnavailableError{fmt.Sprintf("HelmChart '%s' has no artifact yet", key)}
	}
	return hc, nil
}

// FetchError is a chart artifact that could not be opened.
type FetchError struct {
	// HelmChart names the chart's HelmChart; Revision is its artifact's.
	HelmChart types.NamespacedName
	Revision  string
	Err       error
}

func (e *FetchError) Error() string {
	return fmt.Sprintf("fetching the chart artifact of HelmChart '%s': %v", e.HelmChart, e.Err)
}

func (e *FetchError) Unwrap() error { return e.Err }

// LoadChart opens the artifact of hc with open and loads the chart; an
// error of open is a *FetchError. Every action loads its own copy: Helm
// modifies a chart while it renders (dependencies, values).
func LoadChart(ctx context.Context, hc *sourcev1.HelmChart, open Opener) (*chartv2.Chart, error) {
	key := types.NamespacedName{Namespace: hc.Namespace, Name: hc.Name}
	art := hc.GetArtifact()
	if art == nil {
		return nil, &ChartUnavailableError{fmt.Sprintf("HelmChart '%s' has no artifact yet", key)}
	}
	f, err := open(ctx, art)
	if err != nil {
		return nil, &FetchError{HelmChart: key, Revision: art.Revision, Err: err}
	}
	defer f.Close()
	ch, err := loader.LoadArchive(f)
	if err != nil {
		return nil, fmt.Errorf("loading the chart of HelmChart '%s' (revision %s): %w", key, art.Revision, err)
	}
	return ch, nil
}
