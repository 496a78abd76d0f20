package release

import (
	"context"
	"fmt"
	"slices"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"helm.sh/helm/v4/pkg/action"
	"helm.sh/helm/v4/pkg/chart/common"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	releasev1 "helm.sh/helm/v4/pkg/release/v1"

	helmv2 "github.com/ferrycd/ferry/api/helm/v2"
)

// RenderOptions says how Render renders a HelmRelease.
type RenderOptions struct {
	// Capabilities are the cluster's (its version and API versions, see
	// Cluster.Capabilities); nil renders with Helm's defaults, as helm
	// template does.
	Capabilities *common.Capabilities
	// Upgrade renders as an upgrade of an existing release would:
	// .Release.IsUpgrade, and the crds policy, hooks and schema validation
	// settings of spec.upgrade instead of spec.install.
	Upgrade bool
	// TempDir holds the post-renderer's files; empty is the system's.
	TempDir string
}

// Rendered is a HelmRelease rendered without touching a cluster.
type Rendered struct {
	// CRDs are the CustomResourceDefinitions of the chart's crds/
	// directories (subcharts included) that the crds policy applies (none
	// for Skip). They are applied as they are, not post-rendered.
	CRDs []*unstructured.Unstructured
	// Objects are the objects of the release manifest, post-rendered, in
	// Helm's install order: what the release applies and tracks.
	Objects []*unstructured.Unstructured
	// Hooks are the objects of the hooks the action would run (none when
	// the action disables hooks; test hooks, run by spec.test, are left
	// out), post-rendered per spec.postRenderStrategy.
	Hooks []*unstructured.Unstructured
}

// Render renders ch with values as the install (or, with opts.Upgrade,
// the upgrade) of hr would, with a client-side dry run: the release name
// and namespace of hr, its post-renderers, commonMetadata and origin
// labels. Nothing is read from or written to a cluster.
func Render(ctx context.Context, hr *helmv2.HelmRelease, ch *chartv2.Chart, values map[string]any, opts RenderOptions) (*Rendered, error) {
	install, upgrade := hr.GetInstall(), hr.GetUpgrade()
	policy, disableHooks, skipSchema := install.GetCRDs(), install.DisableHooks, install.DisableSchemaValidation
	if opts.Upgrade {
		policy, disableHooks, skipSchema = upgrade.GetCRDs(), upgrade.DisableHooks, upgrade.DisableSchemaValidation
	}

	a := action.NewInstall(action.NewConfiguration(action.ConfigurationSetLogger(logHandler(ctx))))
	a.DryRunStrategy = action.DryRunClient
	a.ReleaseName = hr.GetReleaseName()
	a.Namespace = hr.GetReleaseNamespace()
	a.IsUpgrade = opts.Upgrade
	a.SkipCRDs = true
	a.SkipSchemaValidation = skipSchema
	a.PostRenderer = PostRenderer(hr, opts.TempDir)
	a.PostRenderStrategy = PostRenderStrategy(hr)
	if caps := opts.Capabilities; caps != nil {
		kv := caps.KubeVersion
		a.KubeVersion = &kv
		a.APIVersions = slices.Clone(caps.APIVersions)
	}
	rel, err := a.RunWithContext(ctx, ch, values)
	if err != nil {
		return nil, fmt.Errorf("rendering chart %s: %w", chartRef(ch), err)
	}
	r, err := toV1(rel)
	if err != nil {
		return nil, err
	}

	out := &Rendered{Objects: ManifestObjects(r.Manifest)}
	if policy != helmv2.Skip {
		for _, crd := range ch.CRDObjects() {
			if crd.File != nil {
				out.CRDs = append(out.CRDs, ManifestObjects(string(crd.File.Data))...)
			}
		}
	}
	if !disableHooks {
		for _, h := range r.Hooks {
			if !isTestHook(h) {
				out.Hooks = append(out.Hooks, ManifestObjects(h.Manifest)...)
			}
		}
	}
	return out, nil
}

// isTestHook reports whether h runs only as a test (helm test, spec.test).
func isTestHook(h *releasev1.Hook) bool {
	for _, e := range h.Events {
		if e != releasev1.HookTest {
			return false
		}
	}
	return len(h.Events) > 0
}

func chartRef(ch *chartv2.Chart) string {
	if ch == nil || ch.Metadata == nil {
		return "(no metadata)"
	}
	return ch.Metadata.Name + "@" + ch.Metadata.Version
}
