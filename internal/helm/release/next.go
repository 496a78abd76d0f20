package release

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"helm.sh/helm/v4/pkg/chart/common"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	releasev1 "helm.sh/helm/v4/pkg/release/v1"

	helmv2 "github.com/ferrycd/ferry/api/helm/v2"
	"github.com/ferrycd/ferry/internal/build"
)

// NextOptions say what RenderNext renders with besides the cluster.
type NextOptions struct {
	// Chart is the chart to render; nil renders the artifact of the
	// HelmChart the HelmRelease installs from, opened with Open.
	Chart *chartv2.Chart
	// Open opens the HelmChart's artifact when Chart is nil.
	Open Opener
	// Values, when not nil, take the place of the values composed from
	// the cluster (spec.valuesFrom, then spec.values).
	Values map[string]any
	// Capabilities are the cluster's (Cluster.Capabilities); nil renders
	// with Helm's defaults.
	Capabilities *common.Capabilities
	// TempDir holds the post-renderer's files; empty is the system's.
	TempDir string
}

// Next is the render of a HelmRelease's next install or upgrade.
type Next struct {
	*Rendered
	// Source is the chart source whose artifact was rendered; nil when
	// NextOptions.Chart was given, or before it was read.
	Source *ChartSource
	// Current is the release in Helm's storage the upgrade replaces (nil
	// when there is none); Upgrade says whether the next action is an
	// upgrade.
	Current *releasev1.Release
	Upgrade bool
	// CRDsPolicy is the crds policy of that action.
	CRDsPolicy helmv2.CRDsPolicy
	// Sensitive holds the values read from Secrets (spec.valuesFrom), to
	// be masked wherever they appear (its Vars are unused); never nil.
	Sensitive *build.Substitution
}

// RenderNext renders hr as its next reconciliation would install or
// upgrade it, reading everything with c, so that c's rights decide: the
// chart of its HelmChart's artifact (HelmChart, LoadChart), the values
// composed as the controller composes them (ComposeValues), the release
// history in Helm's storage (History: an upgrade when the release
// exists), rendered with Render and the crds policy of that action.
//
// The Next is returned with the error as far as it got (its Source,
// once read; its Sensitive values). No value read from a Secret is in an
// error.
func RenderNext(ctx context.Context, c client.Reader, hr *helmv2.HelmRelease, opts NextOptions) (*Next, error) {
	next := &Next{Sensitive: &build.Substitution{}}
	failed := func(err error) (*Next, error) {
		if msg := next.Sensitive.Mask(err.Error()); msg != err.Error() {
			err = errors.New(msg)
		}
		return next, err
	}

	// Find the chart.
	ch := opts.Chart
	if ch == nil {
		src, err := GetChartSource(ctx, c, hr)
		if err != nil {
			return failed(err)
		}
		next.Source = src
	}

	// Compose the values.
	values := opts.Values
	if values == nil {
		var err error
		if values, err = ComposeValues(ctx, c, hr); err != nil {
			return failed(fmt.Errorf("HelmRelease '%s/%s': %w", hr.Namespace, hr.Name, err))
		}
		if next.Sensitive.Sensitive, err = SecretValues(ctx, c, hr); err != nil {
			return failed(fmt.Errorf("HelmRelease '%s/%s': %w", hr.Namespace, hr.Name, err))
		}
	}

	// Load the chart.
	if ch == nil {
		var err error
		if ch, err = LoadChart(ctx, next.Source, opts.Open); err != nil {
			return failed(err)
		}
	}

	// Render as an upgrade when the release exists.
	rels, err := History(ctx, c, hr)
	if err != nil {
		return failed(err)
	}
	next.Current, next.Upgrade = Current(rels)
	install, upgrade := hr.GetInstall(), hr.GetUpgrade()
	next.CRDsPolicy = install.GetCRDs()
	if next.Upgrade {
		next.CRDsPolicy = upgrade.GetCRDs()
	}
	next.Rendered, err = Render(ctx, hr, ch, values, RenderOptions{Capabilities: opts.Capabilities, Upgrade: next.Upgrade, TempDir: opts.TempDir})
	if err != nil {
		return failed(fmt.Errorf("HelmRelease '%s/%s': %w", hr.Namespace, hr.Name, err))
	}
	return next, nil
}

// SecretValues returns the scalar values hr reads from Secrets (by
// spec.valuesFrom), read with c, to be masked wherever they appear.
// Booleans are left out: masking "true" would hide more than it protects.
func SecretValues(ctx context.Context, c client.Reader, hr *helmv2.HelmRelease) ([]string, error) {
	var out []string
	for _, ref := range hr.Spec.ValuesFrom {
		if ref.Kind != "Secret" {
			continue
		}
		s := &corev1.Secret{}
		if err := c.Get(ctx, types.NamespacedName{Namespace: hr.Namespace, Name: ref.Name}, s); err != nil {
			if apierrors.IsNotFound(err) {
				continue // optional, or ComposeValues had failed
			}
			return nil, fmt.Errorf("reading Secret '%s/%s': %w", hr.Namespace, ref.Name, err)
		}
		raw := string(s.Data[ref.GetValuesKey()])
		if ref.TargetPath != "" {
			out = append(out, strings.Trim(strings.TrimSpace(raw), `'"`))
			continue
		}
		var v any
		if err := yaml.Unmarshal([]byte(raw), &v); err == nil {
			out = appendScalars(out, v)
		}
	}
	return out, nil
}

// appendScalars appends the string and number leaves of v.
func appendScalars(out []string, v any) []string {
	switch t := v.(type) {
	case map[string]any:
		for _, e := range t {
			out = appendScalars(out, e)
		}
	case []any:
		for _, e := range t {
			out = appendScalars(out, e)
		}
	case string:
		out = append(out, t, strings.ReplaceAll(t, "\n", ""))
	case float64:
		out = append(out, strconv.FormatFloat(t, 'f', -1, 64))
	}
	return out
}
