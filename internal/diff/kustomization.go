package diff

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/fluxcd/pkg/ssa"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/internal/apply"
	"github.com/ferrycd/ferry/internal/build"
	"github.com/ferrycd/ferry/internal/controller/kustomization"
	"github.com/ferrycd/ferry/internal/decrypt"
)

// Kustomization dry-runs objs, the built objects of ks, against the
// cluster c talks to, as the controller would apply them, and returns
// what would change, in the order of the apply: objects created or
// drifted, then, when spec.prune is true, the objects of
// ks.Status.Inventory that the build no longer has and that the
// controller would delete. Nothing is changed; objs are normalized and
// sorted in place. sub is the build's substitution (nil for none): the
// values it read from Secrets are masked in the diffs and errors. c's
// rights decide what may be read and dry-run.
//
// An object the API server refuses does not stop the others: the errors
// are joined, each named Kind/namespace/name and unwrapping to the API
// server's error (apierrors.IsForbidden sees it), and returned with the
// changes of the other objects; the prune is then not assessed.
func Kustomization(ctx context.Context, c client.Client, ks *kustomizev1.Kustomization, objs []*unstructured.Unstructured, sub *build.Substitution) ([]Change, error) {
	// Normalizing drops the sops field: find the encrypted Secrets first.
	encrypted := map[string]*unstructured.Unstructured{}
	for _, obj := range objs {
		if decrypt.IsEncrypted(obj) {
			encrypted[apply.ID(obj)] = obj.DeepCopy()
		}
	}
	// Dry-run through the controller's apply manager, with the options it
	// applies with (annotation selectors, force, driftIgnoreRules).
	m := apply.NewManager(c, kustomization.Owner(ks))
	if err := m.Normalize(objs); err != nil {
		return nil, err
	}
	sort.Sort(ssa.SortableUnstructureds(objs))
	opts := kustomization.ApplyOptions(ks, 0)

	var changes []Change
	newNamespaces := map[string]bool{}
	newKinds := map[string]bool{}
	built := map[string]bool{}
	var errs []error
	for _, obj := range objs {
		built[apply.ID(obj)] = true
		if enc, ok := encrypted[apply.ID(obj)]; ok {
			// Not decrypted (ferry diff builds without the keys): ciphertext
			// cannot be compared with the cluster, so compare the keys, as
			// Flux.
			change, err := encryptedSecret(ctx, c, enc)
			if err != nil {
				errs = append(errs, err)
			}
			if change != nil {
				changes = append(changes, *change)
			}
			continue
		}
		entry, live, merged, err := m.Diff(ctx, obj, opts)
		if err != nil {
			// An object in a Namespace, or of a CRD, that this very build
			// creates cannot be dry-run yet: it will be created.
			if (apierrors.IsNotFound(err) && newNamespaces[obj.GetNamespace()]) ||
				(apimeta.IsNoMatchError(err) && newKinds[obj.GroupVersionKind().GroupKind().String()]) {
				changes = append(changes, Change{ID: Ref(obj), Action: Created})
				continue
			}
			errs = append(errs, &objectError{msg: MaskErr(fmt.Errorf("%s: %w", Ref(obj), err), sub).Error(), err: err})
			continue
		}
		switch entry.Action {
		case ssa.CreatedAction:
			changes = append(changes, Change{ID: entry.Subject, Action: Created})
			if obj.GetKind() == "Namespace" && obj.GroupVersionKind().Group == "" {
				newNamespaces[obj.GetName()] = true
			}
			if obj.GetKind() == "CustomResourceDefinition" {
				group, _, _ := unstructured.NestedString(obj.Object, "spec", "group")
				kind, _, _ := unstructured.NestedString(obj.Object, "spec", "names", "kind")
				newKinds[kind+"."+group] = true
			}
		case ssa.ConfiguredAction:
			text, err := Unified(entry.Subject, Masked(live, sub), Masked(merged, sub))
			changes = append(changes, Change{ID: entry.Subject, Action: Drifted, Diff: text})
			if err != nil {
				return changes, err
			}
		}
	}
	if len(errs) > 0 {
		return changes, errors.Join(errs...)
	}

	// List what the prune would delete: in the inventory, not in the build.
	if ks.Spec.Prune && ks.Status.Inventory != nil {
		stale, err := apply.Objects(ks.Status.Inventory)
		if err != nil {
			return changes, fmt.Errorf("reading the inventory of Kustomization '%s/%s': %w", ks.Namespace, ks.Name, err)
		}
		for _, obj := range stale {
			if built[apply.ID(obj)] || !prunable(ctx, c, obj, ks) {
				continue
			}
			changes = append(changes, Change{ID: Ref(obj), Action: Deleted})
		}
	}
	return changes, nil
}

// objectError is a dry-run the API server refused, its message masked;
// it unwraps to the API server's error, so that a caller can tell a
// Forbidden from an invalid object.
type objectError struct {
	msg string
	err error
}

func (e *objectError) Error() string { return e.msg }
func (e *objectError) Unwrap() error { return e.err }

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
