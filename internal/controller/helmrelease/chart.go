package helmrelease

import (
	"context"
	"fmt"
	"maps"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
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

// chartNotReadyError is a HelmChart without an artifact for its latest
// generation.
type chartNotReadyError struct{ msg string }

func (e *chartNotReadyError) Error() string { return e.msg }

// getChart returns the HelmChart hr uses, with an artifact for its latest
// generation; a chart not ready yet is a *chartNotReadyError.
func (r *Reconciler) getChart(ctx context.Context, hr *helmv2.HelmRelease) (*sourcev1.HelmChart, error) {
	var hc *sourcev1.HelmChart
	if hr.Spec.Chart != nil {
		c, err := r.reconcileHelmChart(ctx, hr)
		if err != nil {
			return nil, err
		}
		hc = c
	} else {
		key, _ := release.ChartKey(hr)
		hc = &sourcev1.HelmChart{}
		if err := r.Get(ctx, key, hc); err != nil {
			if apierrors.IsNotFound(err) {
				return nil, &chartNotReadyError{fmt.Sprintf("HelmChart '%s' not found", key)}
			}
			return nil, err
		}
		hr.Status.HelmChart = key.String()
	}
	key := types.NamespacedName{Namespace: hc.Namespace, Name: hc.Name}
	art := hc.GetArtifact()
	ready := status.Get(hc, meta.ReadyCondition)
	switch {
	case hc.Generation != hc.Status.ObservedGeneration || art == nil:
		msg := fmt.Sprintf("HelmChart '%s' is not ready", key)
		if ready != nil && ready.Status == metav1.ConditionFalse {
			msg += ": " + ready.Message
		}
		return nil, &chartNotReadyError{msg}
	case ready != nil && ready.Status == metav1.ConditionFalse && status.IsStalled(hc):
		return nil, &chartNotReadyError{fmt.Sprintf("HelmChart '%s' is not ready: %s", key, ready.Message)}
	}
	return hc, nil
}

// loadChart fetches the HelmChart's artifact (digest-checked) and loads
// it (release.LoadChart, as ferry diff and the web UI's diff load it).
// Every action loads its own copy: Helm modifies a chart while it renders
// (dependencies, values).
func (r *Reconciler) loadChart(ctx context.Context, hc *sourcev1.HelmChart) (*chartv2.Chart, error) {
	return release.LoadChart(ctx, hc, r.Fetcher.Open)
}
