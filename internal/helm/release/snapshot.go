package release

import (
	"bytes"
	"strings"
	"time"

	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/yaml"

	releasev1 "helm.sh/helm/v4/pkg/release/v1"

	helmv2 "github.com/ferrycd/ferry/api/helm/v2"
	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/internal/apply"
)

// Snapshot returns the status.history entry of rel.
func Snapshot(rel *releasev1.Release) *helmv2.Snapshot {
	s := &helmv2.Snapshot{
		APIVersion:    "v1",
		Digest:        releaseDigest(rel),
		Name:          rel.Name,
		Namespace:     rel.Namespace,
		Version:       rel.Version,
		ConfigDigest:  Digest(normalizedConfig(rel.Config)),
		FirstDeployed: metav1.NewTime(rel.Info.FirstDeployed),
		LastDeployed:  metav1.NewTime(rel.Info.LastDeployed),
	}
	if rel.Info != nil {
		s.Status = rel.Info.Status.String()
		if !rel.Info.Deleted.IsZero() {
			s.Deleted = metav1.NewTime(rel.Info.Deleted)
		}
	}
	if rel.Chart != nil && rel.Chart.Metadata != nil {
		s.ChartName = rel.Chart.Metadata.Name
		s.ChartVersion = rel.Chart.Metadata.Version
		s.AppVersion = rel.Chart.Metadata.AppVersion
	}
	return s
}

// releaseDigest is the digest of what identifies a release version and
// what it deployed: the same whether the release was returned by an action
// or read back from Helm's storage (which does not keep everything an
// action returns).
func releaseDigest(rel *releasev1.Release) string {
	d := map[string]any{
		"name": rel.Name, "namespace": rel.Namespace, "version": rel.Version,
		"config": Digest(normalizedConfig(rel.Config)), "manifest": Digest(rel.Manifest),
	}
	if rel.Info != nil {
		d["status"] = rel.Info.Status.String()
		d["firstDeployed"] = rel.Info.FirstDeployed.UTC().Truncate(time.Second).Format(time.RFC3339)
		d["lastDeployed"] = rel.Info.LastDeployed.UTC().Truncate(time.Second).Format(time.RFC3339)
	}
	if rel.Chart != nil && rel.Chart.Metadata != nil {
		d["chart"] = rel.Chart.Metadata.Name + "@" + rel.Chart.Metadata.Version
	}
	return Digest(d)
}

// normalizedConfig makes a nil config digest like an empty one.
func normalizedConfig(c map[string]any) map[string]any {
	if c == nil {
		return map[string]any{}
	}
	return c
}

// Inventory lists the objects of rel's manifest (hooks excluded), with
// the release namespace on namespaced objects that have none.
func Inventory(rel *releasev1.Release, mapper apimeta.RESTMapper) *kustomizev1.ResourceInventory {
	inv := &kustomizev1.ResourceInventory{Entries: []kustomizev1.ResourceRef{}}
	if rel == nil {
		return inv
	}
	for _, obj := range ManifestObjects(rel.Manifest) {
		InNamespace(mapper, obj, rel.Namespace)
		inv.Entries = append(inv.Entries, kustomizev1.ResourceRef{ID: apply.ID(obj), Version: obj.GroupVersionKind().Version})
	}
	return inv
}

// InNamespace puts a namespaced object without a namespace into ns, as
// Helm's client does when it applies it; an object of a kind the cluster
// does not know (or a nil mapper) leaves it alone.
func InNamespace(mapper apimeta.RESTMapper, obj *unstructured.Unstructured, ns string) {
	if obj.GetNamespace() != "" || mapper == nil {
		return
	}
	gvk := obj.GroupVersionKind()
	if m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version); err == nil && m.Scope.Name() == apimeta.RESTScopeNameNamespace {
		obj.SetNamespace(ns)
	}
}

// ManifestObjects parses a release manifest into objects, skipping empty
// documents and anything that is not an object.
func ManifestObjects(manifest string) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	dec := yaml.NewYAMLOrJSONDecoder(bytes.NewBufferString(manifest), 4096)
	for {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			break
		}
		if len(m) == 0 {
			continue
		}
		obj := &unstructured.Unstructured{Object: m}
		if obj.GetKind() == "" || strings.TrimSpace(obj.GetName()) == "" {
			continue
		}
		out = append(out, obj)
	}
	return out
}

// Snapshots returns the history entries of rels (newest first), at most
// max of them (0 keeps all).
func Snapshots(rels []*releasev1.Release, max int) helmv2.Snapshots {
	var out helmv2.Snapshots
	for _, rel := range rels {
		if max > 0 && len(out) >= max {
			break
		}
		out = append(out, Snapshot(rel))
	}
	return out
}
