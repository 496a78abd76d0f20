package source

import (
	"context"
	"fmt"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferrycd/ferry/internal/artifact"
	"github.com/ferrycd/ferry/internal/events"
)

// RemoveArtifacts returns the Finalize phase of a source kind
// (reconcile.Skeleton): it removes every artifact of the deleted object from
// storage before its finalizer goes, and reports a failure in a Warning
// event and the error the skeleton retries.
func RemoveArtifacts[T client.Object](storage *artifact.Storage, rec *events.Recorder, kind string) func(context.Context, T) error {
	return func(ctx context.Context, obj T) error {
		if err := storage.Remove(kind, obj.GetNamespace(), obj.GetName()); err != nil {
			rec.Warning(obj, "GarbageCollectionFailed", fmt.Sprintf("garbage collection for deleted resource failed: %s", err), nil)
			return fmt.Errorf("garbage collection for deleted resource failed: %w", err)
		}
		ctrl.LoggerFrom(ctx).Info("garbage collected artifacts for deleted resource")
		return nil
	}
}
