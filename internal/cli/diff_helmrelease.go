package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"

	"github.com/fluxcd/pkg/ssa"
	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	helmv2 "github.com/ferrycd/ferry/api/helm/v2"
	"github.com/ferrycd/ferry/internal/apply"
	"github.com/ferrycd/ferry/internal/diff"
	"github.com/ferrycd/ferry/internal/helm/release"
)

// The metadata Helm sets on every object of a release when it applies it.
const (
	helmManagedByLabel        = "app.kubernetes.io/managed-by"
	helmReleaseNameAnnotation = "meta.helm.sh/release-name"
	helmReleaseNSAnnotation   = "meta.helm.sh/release-namespace"
	helmResourcePolicy        = "helm.sh/resource-policy"
)

func newDiffHelmReleaseCommand(g *globals) *cobra.Command {
	f := &renderFlags{}
	cmd := &cobra.Command{
		Use:     "helmrelease NAME",
		Aliases: []string{"hr"},
		Short:   "Diff what an upgrade of a HelmRelease would apply against the cluster with a server-side dry run",
		Long: `Render the HelmRelease NAME as 'ferry build helmrelease' does, with the
values of the cluster, dry-run every object of the release manifest against
the cluster with server-side apply (field manager helm-controller, with the
metadata Helm sets), and print one line per change: '► Kind/namespace/name
created', '... drifted' followed by a unified diff of the cluster object and
the dry-run result, and '... deleted' for the objects of the current release
(in Helm's storage) that the render no longer has. The chart's CRDs are
compared per the crds policy; hooks are not compared. Secret values are
shown as ***. Nothing is changed in the cluster.

Exit code: 0 when there are no changes, 1 when there are, 2 on error.`,
		Example: `  # What would the next upgrade of podinfo change?
  ferry diff helmrelease podinfo

  # What would a new version of the chart change?
  ferry diff hr podinfo --chart-archive ./podinfo-6.1.0.tgz`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := g.renderHelmRelease(cmd.Context(), args[0], f)
			if err != nil {
				return &exitError{code: 2, err: err}
			}
			if r.hr.Spec.KubeConfig != nil && f.file == "" {
				return &exitError{code: 2, err: fmt.Errorf("HelmRelease '%s/%s' installs to a remote cluster (spec.kubeConfig): diff against that cluster with --kubeconfig pointing at it and --helmrelease-file with the HelmRelease's YAML", r.hr.Namespace, r.hr.Name)}
			}
			c, err := g.client()
			if err != nil {
				return &exitError{code: 2, err: err}
			}
			changed, err := diffHelmRelease(cmd.Context(), c, r, g.out)
			if err != nil {
				return &exitError{code: 2, err: err}
			}
			if changed {
				return &exitError{code: 1, err: errors.New("")}
			}
			g.printf("✔ no changes")
			return nil
		},
	}
	f.register(cmd, false)
	return cmd
}

// diffHelmRelease dry-runs the rendered objects of r against the cluster
// as the upgrade would apply them, writes the changes to w and reports
// whether there are any.
func diffHelmRelease(ctx context.Context, c client.Client, r *helmReleaseRender, w io.Writer) (bool, error) {
	hr := r.hr
	name, ns := hr.GetReleaseName(), hr.GetReleaseNamespace()
	mapper := c.RESTMapper()
	m := apply.NewManager(c, apply.Owner{Field: release.FieldManager, Group: helmv2.GroupName, Name: hr.Name, Namespace: hr.Namespace})

	// Prepare the objects as Helm applies them: in the release namespace
	// when namespaced, with Helm's ownership metadata.
	objs := make([]*unstructured.Unstructured, 0, len(r.rendered.Objects))
	for _, obj := range r.rendered.Objects {
		obj = obj.DeepCopy()
		release.InNamespace(mapper, obj, ns)
		setHelmMetadata(obj, name, ns)
		objs = append(objs, obj)
	}
	if err := m.Normalize(objs); err != nil {
		return false, err
	}
	sort.Sort(ssa.SortableUnstructureds(objs))

	d := &helmDiff{c: c, m: m, r: r, w: w, newNamespaces: map[string]bool{}, newKinds: map[string]bool{}}
	if hr.GetInstall().CreateNamespace && !r.upgrade {
		if err := c.Get(ctx, client.ObjectKey{Name: ns}, &corev1.Namespace{}); apierrors.IsNotFound(err) {
			fmt.Fprintf(w, "► Namespace/%s created\n", ns)
			d.changed = true
			d.newNamespaces[ns] = true
		}
	}

	// The CRDs, applied before the release as the crds policy says: Create
	// only creates missing ones, CreateReplace also updates the others.
	for _, crd := range r.rendered.CRDs {
		crd = crd.DeepCopy()
		if r.crds == helmv2.Create {
			live := &unstructured.Unstructured{}
			live.SetGroupVersionKind(crd.GroupVersionKind())
			err := c.Get(ctx, client.ObjectKeyFromObject(crd), live)
			switch {
			case apierrors.IsNotFound(err):
				d.created(crd)
			case err != nil:
				d.errs = append(d.errs, fmt.Errorf("%s: %w", objectRef(crd), err))
			}
			continue
		}
		if err := d.diff(ctx, crd); err != nil {
			return d.changed, err
		}
	}
	built := map[string]bool{}
	for _, obj := range objs {
		built[apply.ID(obj)] = true
		if err := d.diff(ctx, obj); err != nil {
			return d.changed, err
		}
	}
	if len(d.errs) > 0 {
		return d.changed, errors.Join(d.errs...)
	}

	// The objects of the current release that the upgrade deletes: those
	// the new manifest no longer has, unless Helm is told to keep them.
	if r.current != nil {
		for _, obj := range release.ManifestObjects(r.current.Manifest) {
			release.InNamespace(mapper, obj, ns)
			if built[apply.ID(obj)] || obj.GetAnnotations()[helmResourcePolicy] == "keep" {
				continue
			}
			live := &unstructured.Unstructured{}
			live.SetGroupVersionKind(obj.GroupVersionKind())
			if err := c.Get(ctx, client.ObjectKeyFromObject(obj), live); err != nil {
				continue
			}
			fmt.Fprintf(w, "► %s deleted\n", objectRef(obj))
			d.changed = true
		}
	}
	return d.changed, nil
}

// helmDiff is the state of one diffHelmRelease.
type helmDiff struct {
	c       client.Client
	m       *apply.Manager
	r       *helmReleaseRender
	w       io.Writer
	changed bool
	errs    []error
	// newNamespaces and newKinds are created by this very upgrade: objects
	// in them cannot be dry-run yet.
	newNamespaces map[string]bool
	newKinds      map[string]bool
}

// diff dry-runs obj and prints what would change; an object the API
// server refuses is recorded in d.errs, a failure to print is returned.
func (d *helmDiff) diff(ctx context.Context, obj *unstructured.Unstructured) error {
	entry, live, merged, err := d.m.Diff(ctx, obj, apply.Options{})
	if err != nil {
		if (apierrors.IsNotFound(err) && d.newNamespaces[obj.GetNamespace()]) ||
			(apimeta.IsNoMatchError(err) && d.newKinds[obj.GroupVersionKind().GroupKind().String()]) {
			fmt.Fprintf(d.w, "► %s created\n", objectRef(obj))
			d.changed = true
			return nil
		}
		d.errs = append(d.errs, d.r.mask.maskErr(fmt.Errorf("%s: %w", objectRef(obj), err)))
		return nil
	}
	switch entry.Action {
	case ssa.CreatedAction:
		d.created(obj)
	case ssa.ConfiguredAction:
		fmt.Fprintf(d.w, "► %s drifted\n", entry.Subject)
		d.changed = true
		text, err := diff.Unified(entry.Subject, diff.Masked(live, d.r.mask.sub), diff.Masked(merged, d.r.mask.sub))
		if err != nil {
			return err
		}
		fmt.Fprintln(d.w, text)
	}
	return nil
}

// created prints obj as created and records the Namespace or kind it
// makes.
func (d *helmDiff) created(obj *unstructured.Unstructured) {
	fmt.Fprintf(d.w, "► %s created\n", objectRef(obj))
	d.changed = true
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
