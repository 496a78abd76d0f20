package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"

	helmv2 "github.com/ferrycd/ferry/api/helm/v2"
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
			for _, objs := range [][]*unstructured.Unstructured{r.next.CRDs, r.next.Objects, r.next.Hooks} {
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
	hr *helmv2.HelmRelease
	// next is the render; offline (--dry-run) it has no current release
	// and is never an upgrade.
	next *release.Next
	// mask masks Secrets' data and the values read from Secrets; its
	// objects are unused.
	mask *localBuildResult
}

// renderHelmRelease renders the HelmRelease name as its next install or
// upgrade would, per f: with the cluster through release.RenderNext, as
// the web UI's diff does, the chart and values of f taking the place of
// the cluster's when given.
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

	// The values of --values (or, offline, spec.values alone) take the
	// place of the cluster's.
	var values map[string]any
	if len(f.values) > 0 || f.dryRun {
		if values, err = g.helmReleaseValues(ctx, hr, f); err != nil {
			return nil, fmt.Errorf("HelmRelease '%s/%s': %w", hr.Namespace, hr.Name, err)
		}
	}

	// A local chart takes the place of the HelmChart's artifact.
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
	}

	// Offline, render as helm template does.
	if f.dryRun {
		rendered, err := release.Render(ctx, hr, ch, values, release.RenderOptions{})
		if err != nil {
			return nil, fmt.Errorf("HelmRelease '%s/%s': %w", hr.Namespace, hr.Name, err)
		}
		install := hr.GetInstall()
		r.next = &release.Next{Rendered: rendered, CRDsPolicy: install.GetCRDs(), Sensitive: &build.Substitution{}}
		return r, nil
	}

	// With the cluster, render for its version, as an upgrade when the
	// release exists.
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
	caps, err := cluster.Capabilities()
	if err != nil {
		return nil, fmt.Errorf("reading the version of the cluster: %w", err)
	}
	r.next, err = release.RenderNext(ctx, c, hr, release.NextOptions{Chart: ch, Open: chartOpener(), Values: values, Capabilities: caps})
	r.mask.sub = r.next.Sensitive
	const give = "give the chart with --chart-dir DIR or --chart-archive FILE"
	var unavailable *release.ChartUnavailableError
	var fetch *release.FetchError
	switch {
	case errors.As(err, &unavailable):
		return nil, fmt.Errorf("%w: %s", err, give)
	case errors.As(err, &fetch):
		return nil, fmt.Errorf("cannot get the chart of %s (revision %s) from the ferry controller's artifact storage: %w; "+
			"the storage is served by the controller (--storage-adv-addr) and may not be reachable from here: %s", fetch.Source, fetch.Revision, fetch.Err, give)
	case err != nil:
		return nil, err
	}
	return r, nil
}

// helmReleaseValues composes the values of hr without the cluster: the
// --values files in place of spec.valuesFrom, then spec.values.
func (g *globals) helmReleaseValues(ctx context.Context, hr *helmv2.HelmRelease, f *renderFlags) (map[string]any, error) {
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

// chartFetchTimeout bounds the download of a chart artifact; dialTimeout
// its connection, so that a storage out of reach fails fast.
const (
	chartFetchTimeout = 2 * time.Minute
	dialTimeout       = 10 * time.Second
)

// chartOpener opens a chart artifact from the ferry controller's artifact
// storage over HTTP, as the controller's own fetcher does.
func chartOpener() release.Opener {
	fetcher := &artifact.Fetcher{Client: &http.Client{
		Timeout:   chartFetchTimeout,
		Transport: &http.Transport{Proxy: http.ProxyFromEnvironment, DialContext: (&net.Dialer{Timeout: dialTimeout}).DialContext},
	}}
	return fetcher.Open
}
