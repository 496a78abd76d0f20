package diff

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/fluxcd/pkg/ssa"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	helmv2 "github.com/ferrycd/ferry/api/helm/v2"
	"github.com/ferrycd/ferry/internal/apply"
	"github.com/ferrycd/ferry/internal/build"
	"github.com/ferrycd/ferry/internal/helm/release"
)

// The metadata Helm sets on every object of a release when it applies it.
const (
	helmManagedByLabel        = "app.kubernetes.io/managed-by"
	helmReleaseNameAnnotation = "meta.helm.sh/release-name"
	helmReleaseNSAnnotation   = "meta.helm.sh/release-namespace"
	helmResourcePolicy        = "helm.sh/resource-policy"
)

// HelmRelease dry-runs next, the render of hr's next install or upgrade
// (release.RenderNext), against the cluster c talks to, as Helm would
// apply it, and returns what would change, in the order of the action:
// the release namespace when spec.install.createNamespace creates it, the
// chart's CRDs per the crds policy (Create only creates missing ones,
// CreateReplace also updates the others), the objects of the release
// manifest (in the release namespace when namespaced, with Helm's
// ownership metadata, server-side applied as field manager
// helm-controller), then the objects of the current release in Helm's
// storage that the new manifest no longer has and that the upgrade would
// delete (unless annotated helm.sh/resource-policy: keep). Hooks are not
// compared. Nothing is changed; next.Sensitive is masked in the diffs and
// errors, and c's rights decide what may be read and dry-run.
//
// An object the API server refuses does not stop the others: the errors
// are joined, each named Kind/namespace/name and unwrapping to the API
// server's error (apierrors.IsForbidden sees it), and returned with the
// changes of the other objects; the deletions are then not assessed.
func HelmRelease(ctx context.Context, c client.Client, hr *helmv2.HelmRelease, next *release.Next) ([]Change, error) {
	name, ns := hr.GetReleaseName(), hr.GetReleaseNamespace()
	mapper := c.RESTMapper()
	m := apply.NewManager(c, apply.Owner{Field: release.FieldManager, Group: helmv2.GroupName, Name: hr.Name, Namespace: hr.Namespace})

	// Prepare the objects as Helm applies them: in the release namespace
	// when namespaced, with Helm's ownership metadata.
	objs := make([]*unstructured.Unstructured, 0, len(next.Objects))
	for _, obj := range next.Objects {
		obj = obj.DeepCopy()
		release.InNamespace(mapper, obj, ns)
		setHelmMetadata(obj, name, ns)
		objs = append(objs, obj)
	}
	if err := m.Normalize(objs); err != nil {
		return nil, err
	}
	sort.Sort(ssa.SortableUnstructureds(objs))

	d := &helmDiff{c: c, m: m, sub: next.Sensitive, newNamespaces: map[string]bool{}, newKinds: map[string]bool{}}
	if hr.GetInstall().CreateNamespace && !next.Upgrade {
		if err := c.Get(ctx, client.ObjectKey{Name: ns}, &corev1.Namespace{}); apierrors.IsNotFound(err) {
			d.changes = append(d.changes, Change{ID: "Namespace/" + ns, Action: Created})
			d.newNamespaces[ns] = true
		}
	}

	// The CRDs, applied before the release as the crds policy says.
	for _, crd := range next.CRDs {
		crd = crd.DeepCopy()
		if next.CRDsPolicy == helmv2.Create {
			live := &unstructured.Unstructured{}
			live.SetGroupVersionKind(crd.GroupVersionKind())
			err := c.Get(ctx, client.ObjectKeyFromObject(crd), live)
			switch {
			case apierrors.IsNotFound(err):
				d.created(crd)
			case err != nil:
				d.refused(crd, err)
			}
			continue
		}
		if err := d.diff(ctx, crd); err != nil {
			return d.changes, err
		}
	}
	built := map[string]bool{}
	for _, obj := range objs {
		built[apply.ID(obj)] = true
		if err := d.diff(ctx, obj); err != nil {
			return d.changes, err
		}
	}
	if len(d.errs) > 0 {
		return d.changes, errors.Join(d.errs...)
	}

	// The objects of the current release that the upgrade deletes: those
	// the new manifest no longer has, unless Helm is told to keep them.
	if next.Current != nil {
		for _, obj := range release.ManifestObjects(next.Current.Manifest) {
			release.InNamespace(mapper, obj, ns)
			if built[apply.ID(obj)] || obj.GetAnnotations()[helmResourcePolicy] == "keep" {
				continue
			}
			live := &unstructured.Unstructured{}
			live.SetGroupVersionKind(obj.GroupVersionKind())
			if err := c.Get(ctx, client.ObjectKeyFromObject(obj), live); err != nil {
				continue
			}
			d.changes = append(d.changes, Change{ID: Ref(obj), Action: Deleted})
		}
	}
	return d.changes, nil
}

// helmDiff is the state of one HelmRelease diff.
type helmDiff struct {
	c       client.Client
	m       *apply.Manager
	sub     *build.Substitution
	changes []Change
	errs    []error
	// newNamespaces and newKinds are created by this very action:
	// objects in them cannot be dry-run yet.
	newNamespaces map[string]bool
	newKinds      map[string]bool
}

// diff dry-runs obj and records what would change; an object the API
// server refuses is recorded in d.errs, a failure to encode a diff is
// returned.
func (d *helmDiff) diff(ctx context.Context, obj *unstructured.Unstructured) error {
	entry, live, merged, err := d.m.Diff(ctx, obj, apply.Options{})
	if err != nil {
		if (apierrors.IsNotFound(err) && d.newNamespaces[obj.GetNamespace()]) ||
			(apimeta.IsNoMatchError(err) && d.newKinds[obj.GroupVersionKind().GroupKind().String()]) {
			d.changes = append(d.changes, Change{ID: Ref(obj), Action: Created})
			return nil
		}
		d.refused(obj, err)
		return nil
	}
	switch entry.Action {
	case ssa.CreatedAction:
		d.created(obj)
	case ssa.ConfiguredAction:
		text, err := Unified(entry.Subject, Masked(live, d.sub), Masked(merged, d.sub))
		d.changes = append(d.changes, Change{ID: entry.Subject, Action: Drifted, Diff: text})
		return err
	}
	return nil
}

// refused records the API server's refusal of obj, masked.
func (d *helmDiff) refused(obj *unstructured.Unstructured, err error) {
	d.errs = append(d.errs, &objectError{msg: MaskErr(fmt.Errorf("%s: %w", Ref(obj), err), d.sub).Error(), err: err})
}

// created records obj as created and the Namespace or kind it makes.
func (d *helmDiff) created(obj *unstructured.Unstructured) {
	d.changes = append(d.changes, Change{ID: Ref(obj), Action: Created})
	switch {
	case obj.GetKind() == "Namespace" && obj.GroupVersionKind().Group == "":
		d.newNamespaces[obj.GetName()] = true
	case obj.GetKind() == "CustomResourceDefinition":
		group, _, _ := unstructured.NestedString(obj.Object, "spec", "group")
		kind, _, _ := unstructured.NestedString(obj.Object, "spec", "names", "kind")
		d.newKinds[kind+"."+group] = true
	}
}

// setHelmMetadata sets the label and annotations with which Helm marks
// the objects of release name in ns as its own.
func setHelmMetadata(obj *unstructured.Unstructured, name, ns string) {
	labels := obj.GetLabels()
	if labels == nil {
		labels = map[string]string{}
	}
	labels[helmManagedByLabel] = "Helm"
	obj.SetLabels(labels)
	annotations := obj.GetAnnotations()
	if annotations == nil {
		annotations = map[string]string{}
	}
	annotations[helmReleaseNameAnnotation] = name
	annotations[helmReleaseNSAnnotation] = ns
	obj.SetAnnotations(annotations)
}
