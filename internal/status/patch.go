package status

import (
	"context"
	"fmt"
	"reflect"

	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Patcher patches the status subresource of one object with the changes made
// since it was created (or since the last successful Patch).
type Patcher struct {
	client client.Client
	before client.Object
}

// NewPatcher snapshots obj; a later Patch sends what changed in its status.
func NewPatcher(obj client.Object, c client.Client) *Patcher {
	return &Patcher{client: c, before: obj.DeepCopyObject().(client.Object)}
}

// Patch sends a JSON merge patch of the status of obj against the snapshot
// to the status subresource, and takes a new snapshot when it succeeds. It
// sends nothing when nothing changed.
func (p *Patcher) Patch(ctx context.Context, obj client.Object) error {
	patch := client.MergeFrom(p.before)
	data, err := patch.Data(obj)
	if err != nil {
		return fmt.Errorf("%s status patch: compute: %w", describe(obj), err)
	}
	if string(data) == "{}" {
		return nil
	}
	if err := p.client.Status().Patch(ctx, obj, patch); err != nil {
		return fmt.Errorf("%s status patch failed: %w", describe(obj), err)
	}
	p.before = obj.DeepCopyObject().(client.Object)
	return nil
}

// describe names obj as Kind/namespace/name for messages.
func describe(obj client.Object) string {
	kind := obj.GetObjectKind().GroupVersionKind().Kind
	if kind == "" {
		t := reflect.TypeOf(obj)
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		kind = t.Name()
	}
	if ns := obj.GetNamespace(); ns != "" {
		return kind + "/" + ns + "/" + obj.GetName()
	}
	return kind + "/" + obj.GetName()
}
