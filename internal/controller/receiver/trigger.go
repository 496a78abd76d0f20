package receiver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/go-logr/logr"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferrycd/ferry/api/meta"
	notificationv1 "github.com/ferrycd/ferry/api/notification/v1"
	"github.com/ferrycd/ferry/internal/cel"
)

// fluxAPIVersions are the versions Flux assumes for kinds listed without an
// apiVersion, for the kinds ferry's scheme does not have: they are served by
// other controllers, if at all.
var fluxAPIVersions = map[string]string{
	"ArtifactGenerator": "source.extensions.fluxcd.io/v1beta1",
}

// kindsOf maps each Flux kind of s (but the notification group's) to its
// group and the version s prefers, the storage version ferry serves.
func kindsOf(s *runtime.Scheme) map[string]schema.GroupVersionKind {
	rank := func(gvk schema.GroupVersionKind) int {
		for i, gv := range s.PrioritizedVersionsForGroup(gvk.Group) {
			if gv.Version == gvk.Version {
				return i
			}
		}
		return len(s.PrioritizedVersionsForGroup(gvk.Group))
	}
	kinds := map[string]schema.GroupVersionKind{}
	for gvk := range s.AllKnownTypes() {
		if !strings.HasSuffix(gvk.Group, ".fluxcd.io") || gvk.Group == notificationv1.GroupVersion.Group ||
			strings.HasSuffix(gvk.Kind, "List") {
			continue
		}
		if cur, ok := kinds[gvk.Kind]; ok && (rank(cur) < rank(gvk) || rank(cur) == rank(gvk) && cur.Group < gvk.Group) {
			continue
		}
		kinds[gvk.Kind] = gvk
	}
	return kinds
}

// target is one spec.resources entry resolved: its kind, namespace and
// selection.
type target struct {
	gvk       schema.GroupVersionKind
	namespace string
	ref       notificationv1.CrossNamespaceObjectReference
}

// resolve finds the kind of ref: its apiVersion when set, else the version
// ferry serves, else Flux's default. ok is false for a kind without any.
func (s *Server) resolve(ref notificationv1.CrossNamespaceObjectReference, namespace string) (target, bool) {
	t := target{namespace: namespace, ref: ref}
	if ref.Namespace != "" {
		t.namespace = ref.Namespace
	}
	apiVersion := ref.APIVersion
	if apiVersion == "" {
		if gvk, ok := s.kinds[ref.Kind]; ok {
			t.gvk = gvk
			return t, true
		}
		apiVersion = fluxAPIVersions[ref.Kind]
	}
	gv, err := schema.ParseGroupVersion(apiVersion)
	if apiVersion == "" || err != nil {
		return t, false
	}
	t.gvk = gv.WithKind(ref.Kind)
	return t, true
}

// trigger requests a reconciliation of every object spec.resources lists
// and the resource filter accepts, by setting reconcile.fluxcd.io/requestedAt.
// A kind the cluster does not serve is skipped with a log line. It returns
// the objects annotated, as Kind/namespace/name; its error joins those of
// the objects that could not be.
func (s *Server) trigger(ctx context.Context, log logr.Logger, rcv *notificationv1.Receiver, payload []byte) ([]string, error) {
	accept, err := s.resourceFilter(rcv.Spec.ResourceFilter, payload)
	if err != nil {
		return nil, err
	}
	requestedAt := time.Now().Format(time.RFC3339Nano)
	var triggered []string
	var errs []error
	for _, ref := range rcv.Spec.Resources {
		t, ok := s.resolve(ref, rcv.Namespace)
		if !ok {
			log.Info("skipping a resource of a kind ferry does not serve; set its apiVersion if another controller does",
				"kind", ref.Kind, "name", ref.Name)
			continue
		}
		if s.noCrossNamespaceRefs && t.namespace != rcv.Namespace {
			errs = append(errs, fmt.Errorf("%s/%s/%s: cross-namespace references have been blocked", ref.Kind, t.namespace, ref.Name))
			continue
		}
		objs, err := s.objects(ctx, t, rcv.Spec.ResourceFilter != "")
		if apimeta.IsNoMatchError(err) {
			log.Info("skipping a resource of a kind the cluster does not serve", "apiVersion", t.gvk.GroupVersion().String(),
				"kind", ref.Kind, "name", ref.Name)
			continue
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, obj := range objs {
			id := fmt.Sprintf("%s/%s/%s", ref.Kind, obj.Namespace, obj.Name)
			ok, err := accept(ctx, obj)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", id, err))
				continue
			}
			if !ok {
				log.V(1).Info("resource not annotated: the resource filter returned false", "resource", id)
				continue
			}
			if err := s.annotate(ctx, obj, requestedAt); err != nil {
				switch {
				case apierrors.IsNotFound(err):
					errs = append(errs, fmt.Errorf("%s not found", id))
				case apimeta.IsNoMatchError(err):
					log.Info("skipping a resource of a kind the cluster does not serve", "apiVersion", t.gvk.GroupVersion().String(),
						"kind", ref.Kind, "name", ref.Name)
				default:
					errs = append(errs, fmt.Errorf("%s: %w", id, err))
				}
				continue
			}
			triggered = append(triggered, id)
		}
	}
	return triggered, errors.Join(errs...)
}

// objects reads the metadata of the objects t selects: the one it names, or
// those of its kind with its matchLabels. A named object is only read when
// read is set (a resourceFilter needs it); otherwise the patch that
// annotates it tells whether it exists, which saves a round trip to the API
// server on the way from a push to its apply.
func (s *Server) objects(ctx context.Context, t target, read bool) ([]*metav1.PartialObjectMetadata, error) {
	if t.ref.Name != "*" {
		obj := &metav1.PartialObjectMetadata{}
		obj.SetGroupVersionKind(t.gvk)
		key := client.ObjectKey{Namespace: t.namespace, Name: t.ref.Name}
		if !read {
			obj.SetNamespace(key.Namespace)
			obj.SetName(key.Name)
			return []*metav1.PartialObjectMetadata{obj}, nil
		}
		if err := s.reader.Get(ctx, key, obj); err != nil {
			if apierrors.IsNotFound(err) {
				return nil, fmt.Errorf("%s/%s/%s not found", t.ref.Kind, t.namespace, t.ref.Name)
			}
			if apimeta.IsNoMatchError(err) {
				return nil, err
			}
			return nil, fmt.Errorf("reading %s/%s/%s: %w", t.ref.Kind, t.namespace, t.ref.Name, err)
		}
		return []*metav1.PartialObjectMetadata{obj}, nil
	}
	if len(t.ref.MatchLabels) == 0 {
		return nil, fmt.Errorf("%s/%s/*: matchLabels field not set when using wildcard '*' as name", t.ref.Kind, t.namespace)
	}
	list := &metav1.PartialObjectMetadataList{}
	list.SetGroupVersionKind(t.gvk.GroupVersion().WithKind(t.gvk.Kind + "List"))
	if err := s.reader.List(ctx, list, client.InNamespace(t.namespace), client.MatchingLabels(t.ref.MatchLabels)); err != nil {
		if apimeta.IsNoMatchError(err) {
			return nil, err
		}
		return nil, fmt.Errorf("listing %s in %s by labels: %w", t.ref.Kind, t.namespace, err)
	}
	out := make([]*metav1.PartialObjectMetadata, 0, len(list.Items))
	for i := range list.Items {
		obj := &list.Items[i]
		obj.SetGroupVersionKind(t.gvk)
		out = append(out, obj)
	}
	slices.SortFunc(out, func(a, b *metav1.PartialObjectMetadata) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// annotate sets reconcile.fluxcd.io/requestedAt on obj with a merge patch.
func (s *Server) annotate(ctx context.Context, obj *metav1.PartialObjectMetadata, requestedAt string) error {
	patch := map[string]any{"metadata": map[string]any{"annotations": map[string]string{meta.ReconcileRequestAnnotation: requestedAt}}}
	data, err := json.Marshal(patch)
	if err != nil {
		return err
	}
	if err := s.client.Patch(ctx, obj, client.RawPatch(types.MergePatchType, data)); err != nil {
		return fmt.Errorf("annotating: %w", err)
	}
	return nil
}

// resourceFilter returns the predicate of spec.resourceFilter over the
// objects, with req the JSON payload of the call ({} when it has none), as
// Flux; an empty filter accepts everything.
func (s *Server) resourceFilter(expr string, payload []byte) (func(context.Context, *metav1.PartialObjectMetadata) (bool, error), error) {
	if expr == "" {
		return func(context.Context, *metav1.PartialObjectMetadata) (bool, error) { return true, nil }, nil
	}
	e, err := cel.NewBoolExpression(expr, celVars...)
	if err != nil {
		return nil, err
	}
	req := map[string]any{}
	if len(payload) > 0 {
		if err := json.Unmarshal(payload, &req); err != nil {
			return nil, &refusal{code: http.StatusBadRequest, msg: "the body is not a JSON object, which spec.resourceFilter reads as req"}
		}
	}
	return func(ctx context.Context, obj *metav1.PartialObjectMetadata) (bool, error) {
		data, err := json.Marshal(obj)
		if err != nil {
			return false, err
		}
		res := map[string]any{}
		if err := json.Unmarshal(data, &res); err != nil {
			return false, err
		}
		return e.Bool(ctx, map[string]any{"res": res, "req": req})
	}, nil
}
