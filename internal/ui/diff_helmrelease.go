package ui

import (
	"context"
	"fmt"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"helm.sh/helm/v4/pkg/chart/common"

	helmv2 "github.com/ferrycd/ferry/api/helm/v2"
	"github.com/ferrycd/ferry/internal/diff"
	"github.com/ferrycd/ferry/internal/helm/release"
)

// diffHelmRelease fills p with what the next reconciliation of hr would
// change, as `ferry diff helmrelease` says it: the chart of its HelmChart's
// artifact (Options.Artifacts) rendered as the controller renders it, with
// the values composed from spec.valuesFrom and spec.values, the
// post-renderers and, from Helm's storage, as an install or an upgrade
// (release.RenderNext), then dry-run (diff.HelmRelease). Everything is
// read with c. Its error is shown, so no value read from a Secret is in
// it.
func (s *Server) diffHelmRelease(ctx context.Context, c client.Client, hr *helmv2.HelmRelease, p *diffPage) error {
	if hr.Spec.KubeConfig != nil {
		return fmt.Errorf("it installs to a remote cluster (spec.kubeConfig), and the UI dry-runs against this cluster only: "+
			"run `ferry diff helmrelease %s -n %s` with --kubeconfig for the remote cluster and --helmrelease-file", hr.Name, hr.Namespace)
	}

	// Render the chart as the next install or upgrade would.
	var caps *common.Capabilities
	if s.opts.Capabilities != nil {
		var err error
		if caps, err = s.opts.Capabilities(); err != nil {
			return fmt.Errorf("reading the version of the cluster: %w", err)
		}
	} else {
		p.Warnings = append(p.Warnings, "The chart is rendered with Helm's default Kubernetes version and API versions: this UI was given no discovery of the cluster.")
	}
	next, err := release.RenderNext(ctx, c, hr, release.NextOptions{Open: s.opts.Artifacts.Open, Capabilities: caps})
	if next.Source != nil {
		p.Artifact = next.Source.Object.GetArtifact()
	}
	if err != nil {
		return err
	}
	p.Helm = &helmAction{Upgrade: next.Upgrade, Release: hr.GetStorageNamespace() + "/" + hr.GetReleaseName()}
	if next.Current != nil {
		p.Helm.Version = next.Current.Version
	}

	// Dry-run every object with the user's rights.
	changes, err := diff.HelmRelease(ctx, c, hr, next)
	p.addChanges(changes)
	return err
}
