package helmrelease

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/fluxcd/pkg/ssa"
	"github.com/fluxcd/pkg/ssa/jsondiff"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/log"

	releasev1 "helm.sh/helm/v4/pkg/release/v1"

	helmv2 "github.com/ferrycd/ferry/api/helm/v2"
	"github.com/ferrycd/ferry/internal/apply"
	"github.com/ferrycd/ferry/internal/helm/release"
	"github.com/ferrycd/ferry/internal/status"
)

// driftOwner is what drift correction applies as: Helm's field manager
// and the origin labels, so a correction takes back exactly the fields
// the release set.
func driftOwner(hr *helmv2.HelmRelease) apply.Owner {
	return apply.Owner{Field: release.FieldManager, Group: helmv2.GroupName, Name: hr.Name, Namespace: hr.Namespace}
}

// driftIgnoreRules returns spec.driftDetection.ignore as the apply
// package takes them.
func driftIgnoreRules(hr *helmv2.HelmRelease) []jsondiff.IgnoreRule {
	var rules []jsondiff.IgnoreRule
	for _, r := range hr.Spec.DriftDetection.Ignore {
		rule := jsondiff.IgnoreRule{Paths: r.Paths}
		if t := r.Target; t != nil {
			rule.Selector = &jsondiff.Selector{Group: t.Group, Version: t.Version, Kind: t.Kind, Name: t.Name,
				Namespace: t.Namespace, AnnotationSelector: t.AnnotationSelector, LabelSelector: t.LabelSelector}
		}
		rules = append(rules, rule)
	}
	return rules
}

// detectDrift compares the objects of the release's manifest with the
// cluster (a server-side apply dry run, honouring the ignore rules and the
// per-object opt-out) and, in mode enabled, patches the drifted ones back
// with a server-side apply: no Helm upgrade, no new release version. It
// sets the Drifted condition.
func (s *step) detectDrift(ctx context.Context, rel *releasev1.Release) error {
	hr := s.hr
	mode := hr.Spec.DriftDetection.GetMode()
	if mode == helmv2.DriftDetectionDisabled {
		status.Delete(hr, helmv2.DriftedCondition)
		return nil
	}
	m := apply.NewManager(s.kube, driftOwner(hr))
	opts := apply.Options{DriftIgnoreRules: driftIgnoreRules(hr)}
	var drifted []*unstructured.Unstructured
	var changes []string
	for _, obj := range release.ManifestObjects(rel.Manifest) {
		if optedOut(obj) {
			continue
		}
		release.InNamespace(s.cluster.Mapper(), obj, rel.Namespace)
		entry, _, _, err := m.Diff(ctx, obj, opts)
		if err != nil {
			return fmt.Errorf("drift detection of %s: %w", apply.ID(obj), err)
		}
		if entry == nil {
			continue
		}
		switch entry.Action {
		case ssa.CreatedAction, ssa.ConfiguredAction:
			drifted = append(drifted, obj)
			changes = append(changes, fmt.Sprintf("%s %s", entry.Subject, map[ssa.Action]string{ssa.CreatedAction: "removed", ssa.ConfiguredAction: "changed"}[entry.Action]))
		}
	}
	if len(drifted) == 0 {
		status.MarkFalse(hr, helmv2.DriftedCondition, helmv2.NoDriftDetectedReason, "No drift detected for release %s/%s.v%d", rel.Namespace, rel.Name, rel.Version)
		return nil
	}
	sort.Strings(changes)
	summary := strings.Join(changes, ", ")
	if mode == helmv2.DriftDetectionWarn {
		msg := fmt.Sprintf("Cluster state of release %s/%s.v%d has drifted from the desired state: %s", rel.Namespace, rel.Name, rel.Version, summary)
		status.MarkTrue(hr, helmv2.DriftedCondition, helmv2.DriftDetectedReason, "%s", msg)
		s.r.warning(hr, s.want.chartVersion, helmv2.DriftDetectedReason, msg)
		return nil
	}
	if _, err := m.Apply(ctx, drifted, opts); err != nil {
		msg := fmt.Sprintf("Failed to correct the drift of release %s/%s.v%d (%s): %s", rel.Namespace, rel.Name, rel.Version, summary, err)
		status.MarkTrue(hr, helmv2.DriftedCondition, helmv2.DriftCorrectionFailedReason, "%s", msg)
		s.r.warning(hr, s.want.chartVersion, helmv2.DriftCorrectionFailedReason, msg)
		return fmt.Errorf("%s", msg)
	}
	msg := fmt.Sprintf("Cluster state of release %s/%s.v%d was corrected: %s", rel.Namespace, rel.Name, rel.Version, summary)
	log.FromContext(ctx).Info(msg)
	status.MarkFalse(hr, helmv2.DriftedCondition, helmv2.DriftCorrectedReason, "%s", msg)
	s.r.normal(hr, s.want.chartVersion, helmv2.DriftCorrectedReason, msg)
	return nil
}

// optedOut reports an object labelled or annotated
// helm.toolkit.fluxcd.io/driftDetection: disabled.
func optedOut(obj *unstructured.Unstructured) bool {
	return obj.GetAnnotations()[helmv2.DriftDetectionMetadataKey] == "disabled" ||
		obj.GetLabels()[helmv2.DriftDetectionMetadataKey] == "disabled"
}
