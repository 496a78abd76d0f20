package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	releasecommon "helm.sh/helm/v4/pkg/release/common"
	releasev1 "helm.sh/helm/v4/pkg/release/v1"

	helmv2 "github.com/ferrycd/ferry/api/helm/v2"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/artifact"
	"github.com/ferrycd/ferry/internal/build"
	"github.com/ferrycd/ferry/internal/helm/release"
)

// renderFlags are the flags `build helmrelease` and `diff
// helmrelease` share.
type renderFlags struct {
	file         string
	dryRun       bool
	chartDir     string
	chartArchive string
	values       []string
}

func (f *renderFlags) register(cmd *cobra.Command, dryRun bool) {
	fl := cmd.Flags()
	fl.StringVar(&f.file, "helmrelease-file", "", "read the HelmRelease from this YAML file instead of the cluster")
	fl.StringVar(&f.chartDir, "chart-dir", "", "render this local chart directory instead of the HelmChart artifact of the cluster")
	fl.StringVar(&f.chartArchive, "chart-archive", "", "render this packaged chart (.tgz) instead of the HelmChart artifact of the cluster")
	fl.StringArrayVar(&f.values, "values", nil, "YAML values file taking the place of spec.valuesFrom, merged in order under spec.values; repeatable")
	if dryRun {
		fl.BoolVar(&f.dryRun, "dry-run", false, "do not contact the cluster: needs --helmrelease-file and --chart-dir or --chart-archive; spec.valuesFrom is not read")
	}
}

func newBuildHelmReleaseCommand(g *globals) *cobra.Command {
	f := &renderFlags{}
	cmd := &cobra.Command{
		Use:     "helmrelease NAME",
		Aliases: []string{"hr"},
		Short:   "Render a HelmRelease locally, as the controller would, and print the objects as YAML",
		Long: `Render the chart of the HelmRelease NAME (from the cluster, or from
--helmrelease-file) as helm template does, with the values the controller
would use: spec.valuesFrom read from the cluster (or --values files in its
place) and spec.values over them. The chart is the HelmChart's artifact,
fetched from the ferry controller's artifact storage, or --chart-dir or
--chart-archive. Post-renderers, commonMetadata and the origin labels are
applied; the chart's CRDs are printed first when the crds policy applies
them, and the hooks the action runs last. With a cluster, the templates see
its version and API versions, and render as an upgrade when the release
exists. Secrets' values, and values read from Secrets wherever they appear,
are printed as *** (base64-encoded in a Secret's data). Nothing is applied.`,
		Example: `  # Preview what the HelmRelease podinfo would install
  ferry build helmrelease podinfo

  # With a chart being worked on and other values
  ferry build hr podinfo --chart-dir ./charts/podinfo --values ./values-staging.yaml

  # Without a cluster
  ferry build hr podinfo --dry-run --helmrelease-file ./apps/podinfo.yaml --chart-archive ./podinfo-6.0.3.tgz --values ./values.yaml`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := g.renderHelmRelease(cmd.Context(), args[0], f)
			if err != nil {
				return err
			}
			for _, objs := range [][]*unstructured.Unstructured{r.rendered.CRDs, r.rendered.Objects, r.rendered.Hooks} {
				for _, obj := range objs {
					data, err := yaml.Marshal(r.mask.masked(obj).Object)
					if err != nil {
						return fmt.Errorf("encoding %s: %w", objectRef(obj), err)
					}
					fmt.Fprintf(g.out, "---\n%s", data)
				}
			}
			return nil
		},
	}
	f.register(cmd, true)
	return cmd
}

// helmReleaseRender is a local render of a HelmRelease.
type helmReleaseRender struct {
	hr       *helmv2.HelmRelease
	rendered *release.Rendered
	// mask masks Secrets' data and the values read from Secrets; its
	// objects are unused.
	mask *localBuildResult
	// current is the release in Helm's storage an upgrade replaces (nil
	// when there is none, or offline); upgrade says whether the render
	// is that of an upgrade.
	current *releasev1.Release
	upgrade bool
	// crds is the crds policy of the action rendered.
	crds helmv2.CRDsPolicy
}

// renderHelmRelease renders the HelmRelease name as its next install or
// upgrade would, per f.
func (g *globals) renderHelmRelease(ctx context.Context, name string, f *renderFlags) (*helmReleaseRender, error) {
	if f.chartDir != "" && f.chartArchive != "" {
		return nil, errors.New("--chart-dir and --chart-archive are mutually exclusive")
	}
	if f.dryRun && f.file == "" {
		return nil, errors.New("--dry-run needs --helmrelease-file: without the cluster the HelmRelease must come from a file")
	}
	if f.dryRun && f.chartDir == "" && f.chartArchive == "" {
		return nil, errors.New("--dry-run needs --chart-dir or --chart-archive: without the cluster the chart artifact cannot be fetched")
	}

	// Read the HelmRelease.
	var hr *helmv2.HelmRelease
	var c client.Client
	var err error
	if !f.dryRun {
		if c, err = g.client(); err != nil {
			if f.file != "" {
				return nil, fmt.Errorf("%w (to render without a cluster, add --dry-run and --chart-dir or --chart-archive)", err)
			}
			return nil, err
		}
	}
	if f.file != "" {
		if hr, err = readFluxObjectFile(f.file, name, "--helmrelease-file", helmv2.GroupVersion.WithKind(helmv2.HelmReleaseKind), func() *helmv2.HelmRelease { return &helmv2.HelmRelease{} }); err != nil {
			return nil, err
		}
		if hr.Namespace == "" {
			hr.Namespace = g.namespace
		}
	} else {
		key := types.NamespacedName{Namespace: g.namespace, Name: name}
		hr = &helmv2.HelmRelease{}
		if err := c.Get(ctx, key, hr); err != nil {
			if apierrors.IsNotFound(err) {
				return nil, fmt.Errorf("HelmRelease '%s' not found", key)
			}
			return nil, fmt.Errorf("getting HelmRelease '%s': %w", key, err)
		}
	}
	r := &helmReleaseRender{hr: hr, mask: &localBuildResult{}}

	// Compose the values.
	values, err := g.helmReleaseValues(ctx, c, hr, f, r.mask)
	if err != nil {
		return nil, r.mask.maskErr(fmt.Errorf("HelmRelease '%s/%s': %w", hr.Namespace, hr.Name, err))
	}

	// Load the chart.
	var ch *chartv2.Chart
	switch {
	case f.chartDir != "":
		if ch, err = loader.LoadDir(f.chartDir); err != nil {
			return nil, fmt.Errorf("--chart-dir: %w", err)
		}
	case f.chartArchive != "":
		if ch, err = loader.LoadFile(f.chartArchive); err != nil {
			return nil, fmt.Errorf("--chart-archive: %w", err)
		}
	default:
		if ch, err = clusterChart(ctx, c, hr); err != nil {
			return nil, err
		}
	}

	// With the cluster, render for its version, as an upgrade when the
	// release exists.
	opts := release.RenderOptions{}
	if !f.dryRun {
		if hr.Spec.KubeConfig != nil && f.file == "" {
			g.printf("⚠ HelmRelease '%s/%s' installs to a remote cluster (spec.kubeConfig): rendering with the version and release history of this cluster", hr.Namespace, hr.Name)
		}
		cfg, err := g.restConfig()
		if err != nil {
			return nil, err
		}
		cluster, err := release.NewCluster(cfg)
		if err != nil {
			return nil, err
		}
		if opts.Capabilities, err = cluster.Capabilities(); err != nil {
			return nil, fmt.Errorf("reading the version of the cluster: %w", err)
		}
		if r.current, r.upgrade, err = storedRelease(ctx, cluster, hr); err != nil {
			return nil, err
		}
		opts.Upgrade = r.upgrade
	}
	install, upgrade := hr.GetInstall(), hr.GetUpgrade()
	r.crds = install.GetCRDs()
	if r.upgrade {
		r.crds = upgrade.GetCRDs()
	}
	tmp, err := os.MkdirTemp("", "ferry-helmrelease-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	opts.TempDir = tmp
	if r.rendered, err = release.Render(ctx, hr, ch, values, opts); err != nil {
		return nil, r.mask.maskErr(fmt.Errorf("HelmRelease '%s/%s': %w", hr.Namespace, hr.Name, err))
	}
	return r, nil
}

// helmReleaseValues composes the values of hr as the controller does:
// spec.valuesFrom from the cluster, or the --values files in its place,
// then spec.values. Values read from Secrets are recorded in mask.
func (g *globals) helmReleaseValues(ctx context.Context, c client.Client, hr *helmv2.HelmRelease, f *renderFlags, mask *localBuildResult) (map[string]any, error) {
	if len(f.values) == 0 && !f.dryRun {
		values, err := release.ComposeValues(ctx, c, hr)
		if err != nil {
			return nil, err
		}
		sensitive, err := secretValues(ctx, c, hr)
		if err != nil {
			return nil, err
		}
		mask.sub = &build.Substitution{Sensitive: sensitive}
		return values, nil
	}
	if len(hr.Spec.ValuesFrom) > 0 {
		if len(f.values) > 0 {
			g.printf("⚠ spec.valuesFrom of HelmRelease '%s/%s' is not read: the --values files take its place", hr.Namespace, hr.Name)
		} else {
			g.printf("⚠ --dry-run: spec.valuesFrom of HelmRelease '%s/%s' is not read; give its values with --values", hr.Namespace, hr.Name)
		}
	}
	values := map[string]any{}
	for _, path := range f.values {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("--values: %w", err)
		}
		v := map[string]any{}
		if err := yaml.Unmarshal(data, &v); err != nil {
			return nil, fmt.Errorf("--values %s: not a YAML map: %w", path, err)
		}
		values = release.MergeMaps(values, v)
	}
	inline := hr.DeepCopy()
	inline.Spec.ValuesFrom = nil
	spec, err := release.ComposeValues(ctx, nil, inline)
	if err != nil {
		return nil, err
	}
	return release.MergeMaps(values, spec), nil
}

// secretValues returns the scalar values hr reads from Secrets (by
// spec.valuesFrom), to be masked wherever they appear. Booleans are left
// out: masking "true" would hide more than it protects.
func secretValues(ctx context.Context, c client.Reader, hr *helmv2.HelmRelease) ([]string, error) {
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

// chartFetchTimeout bounds the download of a chart artifact; dialTimeout
// its connection, so that a storage out of reach fails fast.
const (
	chartFetchTimeout = 2 * time.Minute
	dialTimeout       = 10 * time.Second
)

// clusterChart fetches and loads the chart artifact of the HelmChart hr
// installs from, as the controller does.
func clusterChart(ctx context.Context, c client.Client, hr *helmv2.HelmRelease) (*chartv2.Chart, error) {
	kind, key := helmReleaseChart(hr)
	if key.Namespace == "" {
		key.Namespace = hr.Namespace
	}
	const give = "give the chart with --chart-dir DIR or --chart-archive FILE"
	if kind != sourcev1.HelmChartKind {
		return nil, fmt.Errorf("HelmRelease '%s/%s' takes its chart from %s '%s', which the CLI cannot read yet: %s", hr.Namespace, hr.Name, kind, key, give)
	}
	hc := &sourcev1.HelmChart{}
	if err := c.Get(ctx, key, hc); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("HelmChart '%s' of HelmRelease '%s/%s' not found (the controller creates it on the first reconciliation): %s", key, hr.Namespace, hr.Name, give)
		}
		return nil, fmt.Errorf("getting HelmChart '%s': %w", key, err)
	}
	art := hc.GetArtifact()
	if art == nil {
		return nil, fmt.Errorf("HelmChart '%s' has no artifact yet: %s", key, give)
	}
	fetcher := &artifact.Fetcher{Client: &http.Client{
		Timeout:   chartFetchTimeout,
		Transport: &http.Transport{Proxy: http.ProxyFromEnvironment, DialContext: (&net.Dialer{Timeout: dialTimeout}).DialContext},
	}}
	f, err := fetcher.Open(ctx, art)
	if err != nil {
		return nil, fmt.Errorf("cannot get the chart of HelmChart '%s' (revision %s) from the ferry controller's artifact storage: %w; "+
			"the storage is served by the controller (--storage-adv-addr) and may not be reachable from here: %s", key, art.Revision, err, give)
	}
	defer f.Close()
	ch, err := loader.LoadArchive(f)
	if err != nil {
		return nil, fmt.Errorf("loading the chart of HelmChart '%s' (revision %s): %w", key, art.Revision, err)
	}
	return ch, nil
}

// storedRelease returns the release in Helm's storage that an upgrade of
// hr would replace and whether the next action is an upgrade (see
// currentRelease).
func storedRelease(ctx context.Context, cluster *release.Cluster, hr *helmv2.HelmRelease) (*releasev1.Release, bool, error) {
	rels, err := releaseHistory(ctx, cluster, hr)
	if err != nil {
		return nil, false, err
	}
	current, upgrade := currentRelease(rels)
	return current, upgrade, nil
}

// currentRelease returns, of the versions of a release (newest first), the
// one an upgrade replaces: the deployed one, else a failed or superseded
// newest one, as Helm's upgrade; and whether the next action is an upgrade
// (the newest release exists and is not uninstalled).
func currentRelease(rels []*releasev1.Release) (*releasev1.Release, bool) {
	if len(rels) == 0 {
		return nil, false
	}
	newest := rels[0]
	upgrade := newest.Info == nil || (newest.Info.Status != releasecommon.StatusUninstalled && newest.Info.Status != releasecommon.StatusUninstalling)
	for _, rel := range rels {
		if rel.Info != nil && rel.Info.Status == releasecommon.StatusDeployed {
			return rel, upgrade
		}
	}
	if newest.Info != nil && (newest.Info.Status == releasecommon.StatusFailed || newest.Info.Status == releasecommon.StatusSuperseded) {
		return newest, upgrade
	}
	return nil, upgrade
}

// releaseHistory returns the versions of hr's release in Helm's storage,
// newest first.
func releaseHistory(ctx context.Context, cluster *release.Cluster, hr *helmv2.HelmRelease) ([]*releasev1.Release, error) {
	cfg, err := cluster.Configuration(ctx, release.Target{Namespace: hr.GetReleaseNamespace(), StorageNamespace: hr.GetStorageNamespace()})
	if err != nil {
		return nil, err
	}
	rels, err := (&release.Runner{Config: cfg, Release: hr}).History()
	if err != nil {
		return nil, fmt.Errorf("reading release %s/%s from Helm's storage: %w", hr.GetStorageNamespace(), hr.GetReleaseName(), err)
	}
	return rels, nil
}
