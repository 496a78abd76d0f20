package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/fluxcd/pkg/ssa"
	"github.com/pmezard/go-difflib/difflib"
	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/internal/apply"
	"github.com/ferrycd/ferry/internal/controller/kustomization"
	"github.com/ferrycd/ferry/internal/decrypt"
)

func newDiffCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "diff",
		Short: "Compare local builds of Kustomizations and HelmReleases with the cluster",
	}
	cmd.AddCommand(newDiffKustomizationCommand(g), newDiffHelmReleaseCommand(g))
	return cmd
}

func newDiffKustomizationCommand(g *globals) *cobra.Command {
	f := &localBuildFlags{}
	cmd := &cobra.Command{
		Use:     "kustomization NAME",
		Aliases: []string{"ks"},
		Short:   "Diff a local build of a Kustomization against the cluster with a server-side dry run",
		Long: `Build a local directory as 'ferry build kustomization' does, dry-run every
object against the cluster with server-side apply (field manager
kustomize-controller, as the controller applies), and print one line per
change: '► Kind/namespace/name created', '... drifted' followed by a unified
diff of the cluster object and the dry-run result, and, when spec.prune is
true, '... deleted' for inventory objects the build no longer has. Secret
values are shown as ***. Nothing is changed in the cluster.

Exit code: 0 when there are no changes, 1 when there are, 2 on error.`,
		Example: `  # What would the Kustomization apps change if ./apps/staging were pushed?
  ferry diff kustomization apps --path ./apps/staging`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			defer f.done()
			builds, err := g.localBuilds(cmd.Context(), args[0], f)
			if err != nil {
				return &exitError{code: 2, err: err}
			}
			c, err := g.client()
			if err != nil {
				return &exitError{code: 2, err: err}
			}
			changed := false
			for i, lb := range builds {
				if lb.ks.Spec.KubeConfig != nil && i > 0 {
					g.printf("⚠ skipping Kustomization '%s/%s': it applies to a remote cluster (spec.kubeConfig)", lb.ks.Namespace, lb.ks.Name)
					continue
				}
				if lb.ks.Spec.KubeConfig != nil && f.kustomizationFile == "" {
					return &exitError{code: 2, err: fmt.Errorf("Kustomization '%s/%s' applies to a remote cluster (spec.kubeConfig): diff against that cluster with --kubeconfig pointing at it and --kustomization-file with the Kustomization's YAML", lb.ks.Namespace, lb.ks.Name)}
				}
				if lb.ks.Status.Inventory == nil {
					// Read from a file or found in a build: the inventory,
					// for what a prune would delete, is the cluster's.
					live := &kustomizev1.Kustomization{}
					if err := c.Get(cmd.Context(), client.ObjectKeyFromObject(lb.ks), live); err == nil {
						lb.ks.Status.Inventory = live.Status.Inventory
					}
				}
				drift, err := diffKustomization(cmd.Context(), c, lb, g.out)
				if err != nil {
					return &exitError{code: 2, err: err}
				}
				changed = changed || drift
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

// diffKustomization dry-runs the objects of lb against the cluster, writes
// the changes to w and reports whether there are any.
func diffKustomization(ctx context.Context, c client.Client, lb *localBuildResult, w io.Writer) (bool, error) {
	objs := lb.objects
	// Normalizing drops the sops field: find the encrypted Secrets first.
	encrypted := map[string]*unstructured.Unstructured{}
	for _, obj := range objs {
		if decrypt.IsEncrypted(obj) {
			encrypted[apply.ID(obj)] = obj.DeepCopy()
		}
	}
	// Dry-run through the controller's apply manager, with the options it
	// applies with (annotation selectors, force, driftIgnoreRules).
	m := apply.NewManager(c, kustomization.Owner(lb.ks))
	if err := m.Normalize(objs); err != nil {
		return false, err
	}
	sort.Sort(ssa.SortableUnstructureds(objs))
	opts := kustomization.ApplyOptions(lb.ks, 0)

	newNamespaces := map[string]bool{}
	newKinds := map[string]bool{}
	built := map[string]bool{}
	changed := false
	var errs []error
	for _, obj := range objs {
		built[apply.ID(obj)] = true
		if enc, ok := encrypted[apply.ID(obj)]; ok {
			// The controller decrypts it before applying; ciphertext cannot
			// be compared with the cluster, so compare the keys, as Flux.
			drift, err := diffEncryptedSecret(ctx, c, enc, w)
			if err != nil {
				errs = append(errs, err)
			}
			changed = changed || drift
			continue
		}
		entry, live, merged, err := m.Diff(ctx, obj, opts)
		if err != nil {
			// An object in a Namespace, or of a CRD, that this very build
			// creates cannot be dry-run yet: it will be created.
			if (apierrors.IsNotFound(err) && newNamespaces[obj.GetNamespace()]) ||
				(apimeta.IsNoMatchError(err) && newKinds[obj.GroupVersionKind().GroupKind().String()]) {
				fmt.Fprintf(w, "► %s created\n", objectRef(obj))
				changed = true
				continue
			}
			errs = append(errs, lb.maskErr(fmt.Errorf("%s: %w", objectRef(obj), err)))
			continue
		}
		switch entry.Action {
		case ssa.CreatedAction:
			fmt.Fprintf(w, "► %s created\n", entry.Subject)
			changed = true
			if obj.GetKind() == "Namespace" && obj.GroupVersionKind().Group == "" {
				newNamespaces[obj.GetName()] = true
			}
			if obj.GetKind() == "CustomResourceDefinition" {
				group, _, _ := unstructured.NestedString(obj.Object, "spec", "group")
				kind, _, _ := unstructured.NestedString(obj.Object, "spec", "names", "kind")
				newKinds[kind+"."+group] = true
			}
		case ssa.ConfiguredAction:
			fmt.Fprintf(w, "► %s drifted\n", entry.Subject)
			changed = true
			text, err := unifiedDiff(entry.Subject, lb.maskedDiff(live), lb.maskedDiff(merged))
			if err != nil {
				return changed, err
			}
			fmt.Fprintln(w, text)
		}
	}
	if len(errs) > 0 {
		return changed, errors.Join(errs...)
	}
	if lb.ks.Spec.Prune && lb.ks.Status.Inventory != nil {
		stale, err := apply.Objects(lb.ks.Status.Inventory)
		if err != nil {
			return changed, fmt.Errorf("reading the inventory of Kustomization '%s/%s': %w", lb.ks.Namespace, lb.ks.Name, err)
		}
		for _, obj := range stale {
			if built[apply.ID(obj)] || !prunable(ctx, c, obj, lb.ks) {
				continue
			}
			fmt.Fprintf(w, "► %s deleted\n", objectRef(obj))
			changed = true
		}
	}
	return changed, nil
}

// diffEncryptedSecret reports a SOPS-encrypted Secret of the build as
// created when the cluster has none, and as drifted when the cluster's
// Secret has other data keys; values are never compared or shown.
func diffEncryptedSecret(ctx context.Context, c client.Client, obj *unstructured.Unstructured, w io.Writer) (bool, error) {
	live := &unstructured.Unstructured{}
	live.SetGroupVersionKind(obj.GroupVersionKind())
	if err := c.Get(ctx, client.ObjectKeyFromObject(obj), live); err != nil {
		if apierrors.IsNotFound(err) {
			fmt.Fprintf(w, "► %s created\n", objectRef(obj))
			return true, nil
		}
		return false, fmt.Errorf("%s: %w", objectRef(obj), err)
	}
	want, have := secretKeys(obj), secretKeys(live)
	if strings.Join(want, ",") == strings.Join(have, ",") {
		return false, nil
	}
	fmt.Fprintf(w, "► %s drifted\n", objectRef(obj))
	fmt.Fprintf(w, "  data keys in the cluster: %s\n  data keys after apply:   %s\n  (SOPS-encrypted: values are not compared)\n",
		strings.Join(have, ", "), strings.Join(want, ", "))
	return true, nil
}

// secretKeys returns the sorted keys of a Secret's data and stringData,
// without the sops_ metadata entries of an encrypted dotenv file.
func secretKeys(obj *unstructured.Unstructured) []string {
	seen := map[string]bool{}
	for _, field := range []string{"data", "stringData"} {
		m, _ := obj.Object[field].(map[string]any)
		for k := range m {
			if !strings.HasPrefix(k, "sops_") {
				seen[k] = true
			}
		}
	}
	keys := make([]string, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// prunable reports whether the controller would delete the inventory object
// obj: it still exists, carries the Kustomization's owner labels and is not
// annotated to be kept.
func prunable(ctx context.Context, c client.Client, obj *unstructured.Unstructured, ks *kustomizev1.Kustomization) bool {
	live := &unstructured.Unstructured{}
	live.SetGroupVersionKind(obj.GroupVersionKind())
	if err := c.Get(ctx, client.ObjectKeyFromObject(obj), live); err != nil {
		return false
	}
	labels, annotations := live.GetLabels(), live.GetAnnotations()
	return labels[kustomizev1.NameLabel] == ks.Name && labels[kustomizev1.NamespaceLabel] == ks.Namespace &&
		annotations[kustomizev1.PruneAnnotation] != kustomizev1.DisabledValue &&
		annotations[kustomizev1.ReconcileAnnotation] != kustomizev1.DisabledValue
}

// maskedDiff returns a copy of an object of a drift safe to print: ssa has
// already replaced the values of a Secret's data with "***", "*** (before)"
// or "*** (after)", which shows which keys changed; stringData, should it
// appear, and values read from Secrets during substitution are masked here.
func (lb *localBuildResult) maskedDiff(obj *unstructured.Unstructured) *unstructured.Unstructured {
	out := obj.DeepCopy()
	if out.GetKind() == "Secret" && out.GroupVersionKind().Group == "" {
		if m, ok := out.Object["stringData"].(map[string]any); ok {
			for k := range m {
				m[k] = secretMask
			}
		}
	}
	if lb.sub != nil && len(lb.sub.Sensitive) > 0 {
		out.Object = maskStrings(out.Object, lb.sub).(map[string]any)
	}
	return out
}

// maskErr masks values read from Secrets in err's message.
func (lb *localBuildResult) maskErr(err error) error {
	if lb.sub == nil {
		return err
	}
	if msg := lb.sub.Mask(err.Error()); msg != err.Error() {
		return errors.New(msg)
	}
	return err
}

// unifiedDiff returns the unified diff of the YAML of the live object and
// the dry-run result, without the fields the server maintains.
func unifiedDiff(subject string, live, merged *unstructured.Unstructured) (string, error) {
	a, err := diffYAML(live)
	if err != nil {
		return "", fmt.Errorf("encoding %s: %w", subject, err)
	}
	b, err := diffYAML(merged)
	if err != nil {
		return "", fmt.Errorf("encoding %s: %w", subject, err)
	}
	text, err := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
		A: difflib.SplitLines(a), B: difflib.SplitLines(b),
		FromFile: subject + " (cluster)", ToFile: subject + " (after apply)",
		Context: 3,
	})
	if err != nil {
		return "", fmt.Errorf("diffing %s: %w", subject, err)
	}
	return strings.TrimRight(text, "\n"), nil
}

// diffYAML encodes obj for a diff, leaving out status and the metadata the
// API server maintains.
func diffYAML(obj *unstructured.Unstructured) (string, error) {
	if obj == nil {
		return "", nil
	}
	o := obj.DeepCopy()
	delete(o.Object, "status")
	for _, f := range []string{"managedFields", "resourceVersion", "generation", "uid", "creationTimestamp"} {
		unstructured.RemoveNestedField(o.Object, "metadata", f)
	}
	data, err := yaml.Marshal(o.Object)
	return string(data), err
}
