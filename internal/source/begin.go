package source

import (
	"github.com/ferrycd/ferry/api/meta"
	"github.com/ferrycd/ferry/internal/artifact"
	"github.com/ferrycd/ferry/internal/status"
)

// Begin announces a reconcile of obj as Flux's source controllers do:
// Ready is present at all times (Unknown until an outcome, as kstatus
// wants), and a new generation is Reconciling. It reports whether obj was
// failing before.
func Begin(obj Object, observedGeneration int64) (wasFailing bool) {
	wasFailing = status.Get(obj, meta.ReadyCondition) != nil && !status.IsReady(obj)
	if status.Get(obj, meta.ReadyCondition) == nil {
		status.MarkUnknown(obj, meta.ReadyCondition, meta.ProgressingReason, "reconciliation in progress")
	}
	if obj.GetGeneration() != observedGeneration {
		status.MarkReconciling(obj, meta.ProgressingReason, "processing object: new generation %d -> %d",
			observedGeneration, obj.GetGeneration())
	}
	return wasFailing
}

// KeepStored checks that the artifact obj records in *a is still in
// storage: it is advertised at the storage's current address (in *url too,
// when url is set), or, gone, dropped with ArtifactInStorage and
// Reconciling saying so, so that this reconcile builds it again.
func KeepStored(obj Object, storage *artifact.Storage, a **meta.Artifact, url *string) {
	if *a == nil {
		return
	}
	if storage.Exists(*a) {
		(*a).URL = storage.URL((*a).Path)
		if url != nil {
			*url = (*a).URL
		}
		return
	}
	*a = nil
	if url != nil {
		*url = ""
	}
	status.Delete(obj, meta.ArtifactInStorageCondition)
	status.MarkReconciling(obj, meta.ProgressingReason, "building artifact: disappeared from storage")
}
