// Package trace answers `flux trace`'s question for any object: which
// Kustomization or HelmRelease manages it. The CLI's `ferry trace` and the
// web UI's trace page share it: it resolves a kind as the user spells it
// and finds an object's manager from the labels and annotations Flux and
// Helm write.
package trace

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	apimeta "k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	helmv2 "github.com/ferrycd/ferry/api/helm/v2"
	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
)

// The labels and annotations that name an object's manager.
const (
	// HelmNameLabel and HelmNamespaceLabel are set by Flux's
	// helm-controller on every object of a release.
	HelmNameLabel      = "helm.toolkit.fluxcd.io/name"
	HelmNamespaceLabel = "helm.toolkit.fluxcd.io/namespace"
	// Helm itself annotates every object of a release with the release's
	// name and namespace; ferry's HelmReleases are found by these.
	HelmReleaseNameAnnotation      = "meta.helm.sh/release-name"
	HelmReleaseNamespaceAnnotation = "meta.helm.sh/release-namespace"
)

// ManagerLabels are the labels that name an object's manager, and
// ManagerAnnotations the annotations, in the order a trace shows them.
var (
	ManagerLabels      = []string{kustomizev1.NameLabel, kustomizev1.NamespaceLabel, HelmNameLabel, HelmNamespaceLabel}
	ManagerAnnotations = []string{HelmReleaseNameAnnotation, HelmReleaseNamespaceAnnotation}
)

// MaxDepth bounds a chain of managers, whatever a cycle guard misses.
const MaxDepth = 20

// versionRE matches an API version without a group ("v1", "v2beta1").
var versionRE = regexp.MustCompile(`^v[0-9]+((alpha|beta)[0-9]+)?$`)

// Ref names a manager.
type Ref struct {
	Kind, Namespace, Name string
}

// ResolveKind finds kind's mapping: in the API version given ("apps/v1",
// "v1"), else the preferred version of the group given ("apps", "" for
// the core group). A kind not spelt as the API spells it ("configmap",
// "deployments") is looked up as a resource name.
func ResolveKind(mapper apimeta.RESTMapper, apiVersion, kind string) (*apimeta.RESTMapping, error) {
	var gv schema.GroupVersion
	switch {
	case strings.Contains(apiVersion, "/"):
		var err error
		if gv, err = schema.ParseGroupVersion(apiVersion); err != nil {
			return nil, &apimeta.NoKindMatchError{GroupKind: schema.GroupKind{Kind: kind}}
		}
	case versionRE.MatchString(apiVersion):
		gv = schema.GroupVersion{Version: apiVersion}
	default:
		gv = schema.GroupVersion{Group: apiVersion}
	}
	var versions []string
	if gv.Version != "" {
		versions = []string{gv.Version}
	}
	mapping, err := mapper.RESTMapping(schema.GroupKind{Group: gv.Group, Kind: kind}, versions...)
	if err == nil {
		// The mapping may carry the kind as given ("configmap"); the
		// resource's kind is as the API spells it.
		m := *mapping
		if gvk, err := mapper.KindFor(m.Resource); err == nil {
			m.GroupVersionKind = gvk
		}
		return &m, nil
	}
	if !apimeta.IsNoMatchError(err) {
		return nil, err
	}
	gvk, kerr := mapper.KindFor(gv.WithResource(strings.ToLower(kind)))
	if kerr != nil {
		return nil, err
	}
	return mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
}

// GroupName names the API version or group for a message.
func GroupName(apiVersion string) string {
	switch {
	case apiVersion == "", apiVersion == "v1":
		return "the core group"
	case strings.Contains(apiVersion, "/") || versionRE.MatchString(apiVersion):
		return "API version " + apiVersion
	}
	return "group " + apiVersion
}

// ManagerOf is the Kustomization or HelmRelease that the labels name, or,
// without them, the HelmRelease of the Helm release the annotations name
// (listed with reader, among those visible allows), with what named it.
func ManagerOf(ctx context.Context, reader client.Reader, visible func(kind, namespace string) bool, labels, annotations map[string]string) (Ref, string, bool, error) {
	if name, ns := labels[kustomizev1.NameLabel], labels[kustomizev1.NamespaceLabel]; name != "" && ns != "" {
		return Ref{Kind: kustomizev1.KustomizationKind, Namespace: ns, Name: name}, "the labels " + kustomizev1.NameLabel + " and /namespace", true, nil
	}
	if name, ns := labels[HelmNameLabel], labels[HelmNamespaceLabel]; name != "" && ns != "" {
		return Ref{Kind: helmv2.HelmReleaseKind, Namespace: ns, Name: name}, "the labels " + HelmNameLabel + " and /namespace", true, nil
	}
	name, ns := annotations[HelmReleaseNameAnnotation], annotations[HelmReleaseNamespaceAnnotation]
	if name == "" || ns == "" {
		return Ref{}, "", false, nil
	}
	list := &helmv2.HelmReleaseList{}
	if err := reader.List(ctx, list); err != nil {
		return Ref{}, "", false, fmt.Errorf("listing HelmReleases to find the one of Helm release %s/%s: %w", ns, name, err)
	}
	for _, hr := range list.Items {
		if hr.GetReleaseName() == name && hr.GetReleaseNamespace() == ns && visible(helmv2.HelmReleaseKind, hr.Namespace) {
			return Ref{Kind: helmv2.HelmReleaseKind, Namespace: hr.Namespace, Name: hr.Name}, "the Helm release " + ns + "/" + name + " (annotations " + HelmReleaseNameAnnotation + " and -namespace)", true, nil
		}
	}
	return Ref{}, "", false, nil
}
