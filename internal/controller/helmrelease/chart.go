package helmrelease

import (
	"context"
	"fmt"
	"maps"
	"strings"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	chartv2 "helm.sh/helm/v4/pkg/chart/v2"

	helmv2 "github.com/ferrycd/ferry/api/helm/v2"
	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/helm/release"
	"github.com/ferrycd/ferry/internal/status"
)

// chartTemplate returns the HelmChart spec.chart describes.
func chartTemplate(hr *helmv2.HelmRelease) *sourcev1.HelmChart {
	key, _ := release.ChartKey(hr)
	t := hr.Spec.Chart
	interval := hr.Spec.Interval
	if t.Spec.Interval != nil {
		interval = *t.Spec.Interval
	}
	hc := &sourcev1.HelmChart{
		ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name},
		Spec: sourcev1.HelmChartSpec{
			Chart:   t.Spec.Chart,
			Version: t.Spec.Version,
			SourceRef: sourcev1.LocalHelmChartSourceReference{
				Kind: t.Spec.SourceRef.Kind,
				Name: t.Spec.SourceRef.Name,
			},
			Interval:                 interval,
			ReconcileStrategy:        t.Spec.ReconcileStrategy,
			ValuesFiles:              t.Spec.ValuesFiles,
			ValuesFile:               t.Spec.ValuesFile,
			IgnoreMissingValuesFiles: t.Spec.IgnoreMissingValuesFiles,
		},
	}
	if hc.Spec.Version == "" {
		hc.Spec.Version = "*"
	}
	if hc.Spec.ReconcileStrategy == "" {
		hc.Spec.ReconcileStrategy = sourcev1.ReconcileStrategyChartVersion
	}
	if v := t.Spec.Verify; v != nil {
		hc.Spec.Verify = &sourcev1.OCIRepositoryVerification{Provider: v.Provider, SecretRef: v.SecretRef}
	}
	if m := t.ObjectMeta; m != nil {
		hc.Labels = maps.Clone(m.Labels)
		hc.Annotations = maps.Clone(m.Annotations)
	}
	// The HelmChart goes to the HelmRelease's shard: the shard that
	// reconciles the release must see its chart.
	if key, ok := hr.Labels[meta.ShardingKeyLabel]; ok {
		if hc.Labels == nil {
			hc.Labels = map[string]string{}
		}
		hc.Labels[meta.ShardingKeyLabel] = key
	}
	return hc
}

// reconcileHelmChart creates or updates the HelmChart of spec.chart and
// records it in status.helmChart.
func (r *Reconciler) reconcileHelmChart(ctx context.Context, hr *helmv2.HelmRelease) (*sourcev1.HelmChart, error) {
	want := chartTemplate(hr)
	hr.Status.HelmChart = client.ObjectKeyFromObject(want).String()
	var live sourcev1.HelmChart
	err := r.Get(ctx, client.ObjectKeyFromObject(want), &live)
	switch {
	case apierrors.IsNotFound(err):
		if err := r.Create(ctx, want); err != nil {
			return nil, fmt.Errorf("creating HelmChart '%s': %w", hr.Status.HelmChart, err)
		}
		return want, nil
	case err != nil:
		return nil, err
	}
	if apiequality.Semantic.DeepEqual(live.Spec, want.Spec) &&
		labelsContain(live.Labels, want.Labels) && labelsContain(live.Annotations, want.Annotations) {
		return &live, nil
	}
	base := live.DeepCopy()
	live.Spec = want.Spec
	if len(want.Labels) > 0 && live.Labels == nil {
		live.Labels = map[string]string{}
	}
	maps.Copy(live.Labels, want.Labels)
	if len(want.Annotations) > 0 && live.Annotations == nil {
		live.Annotations = map[string]string{}
	}
	maps.Copy(live.Annotations, want.Annotations)
	if err := r.Patch(ctx, &live, client.MergeFrom(base)); err != nil {
		return nil, fmt.Errorf("updating HelmChart '%s': %w", hr.Status.HelmChart, err)
	}
	return &live, nil
}

func labelsContain(have, want map[string]string) bool {
	for k, v := range want {
		if have[k] != v {
			return false
		}
	}
	return true
}

// chartNotReadyError is a chart source without an artifact for its
// latest generation.
type chartNotReadyError struct{ msg string }

func (e *chartNotReadyError) Error() string { return e.msg }

// getChart returns the chart source hr uses, a HelmChart (made from
// spec.chart, or of spec.chartRef) or the OCIRepository of spec.chartRef,
// with an artifact for its latest generation; a source not ready yet is a
// *chartNotReadyError.
func (r *Reconciler) getChart(ctx context.Context, hr *helmv2.HelmRelease) (*release.ChartSource, error) {
	var src *release.ChartSource
	if hr.Spec.Chart != nil {
		hc, err := r.reconcileHelmChart(ctx, hr)
		if err != nil {
			return nil, err
		}
		src = &release.ChartSource{Kind: sourcev1.HelmChartKind, Key: client.ObjectKeyFromObject(hc), Object: hc}
	} else {
		ref, _ := release.ChartSourceRef(hr)
		obj := ref.New()
		if err := r.Get(ctx, ref.Key, obj.(client.Object)); err != nil {
			if apierrors.IsNotFound(err) {
				return nil, &chartNotReadyError{fmt.Sprintf("%s not found", ref)}
			}
			return nil, err
		}
		src, ref.Object = ref, obj
		hr.Status.HelmChart = ""
		if ref.Kind == sourcev1.HelmChartKind {
			hr.Status.HelmChart = ref.Key.String()
		}
	}
	art := src.Object.GetArtifact()
	obj := src.Object.(interface {
		client.Object
		status.Getter
	})
	ready := status.Get(obj, meta.ReadyCondition)
	switch {
	case obj.GetGeneration() != observedGeneration(src.Object) || art == nil:
		msg := fmt.Sprintf("%s is not ready", src)
		if ready != nil && ready.Status == metav1.ConditionFalse {
			msg += ": " + ready.Message
		}
		return nil, &chartNotReadyError{msg}
	case ready != nil && ready.Status == metav1.ConditionFalse && status.IsStalled(obj):
		return nil, &chartNotReadyError{fmt.Sprintf("%s is not ready: %s", src, ready.Message)}
	}
	return src, nil
}

func observedGeneration(o sourcev1.Source) int64 {
	switch o := o.(type) {
	case *sourcev1.HelmChart:
		return o.Status.ObservedGeneration
	case *sourcev1.OCIRepository:
		return o.Status.ObservedGeneration
	}
	return -1
}

// loadChart fetches the source's artifact (digest-checked) and loads the
// chart (release.LoadChart, as ferry diff and the web UI's diff load it).
// Every action loads its own copy: Helm modifies a chart while it renders
// (dependencies, values).
func (r *Reconciler) loadChart(ctx context.Context, src *release.ChartSource) (*chartv2.Chart, error) {
	return release.LoadChart(ctx, src, r.Fetcher.Open)
}

// chartIdentity sets the chart name and version want installs: a
// HelmChart's observed chart name and artifact revision; an
// OCIRepository's from the chart in its artifact (the version with the
// digest, release.OCIChartVersion), read once per artifact.
func (r *Reconciler) chartIdentity(ctx context.Context, want *desired) error {
	src, art := want.chart, want.chart.Object.GetArtifact()
	if hc, ok := src.Object.(*sourcev1.HelmChart); ok {
		want.chartName, want.chartVersion = hc.Status.ObservedChartName, art.Revision
		if want.chartName == "" {
			want.chartName = hc.Spec.Chart
		}
		return nil
	}
	// The revision is "<tag>@sha256:<hex>", or "sha256:<hex>" for a digest.
	want.ociDigest = art.Revision[strings.LastIndex(art.Revision, "@")+1:]
	key := src.Key.String()
	if v, ok := r.ociCharts.Load(key); ok && v.(ociChart).revision == art.Revision {
		want.chartName, want.chartVersion = v.(ociChart).name, v.(ociChart).version
		return nil
	}
	ch, err := r.loadChart(ctx, src)
	if err != nil {
		return err
	}
	want.chartName, want.chartVersion = ch.Metadata.Name, ch.Metadata.Version
	r.ociCharts.Store(key, ociChart{revision: art.Revision, name: want.chartName, version: want.chartVersion})
	return nil
}

// ociChart is the chart identity of an OCIRepository's artifact.
type ociChart struct{ revision, name, version string }
