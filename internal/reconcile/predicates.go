package reconcile

import (
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
)

// ReconcileRequested passes updates that change the
// reconcile.fluxcd.io/requestedAt annotation, so `flux reconcile` (which
// sets it) triggers a reconcile although the generation is unchanged.
type ReconcileRequested struct {
	predicate.Funcs
}

// Update reports whether a new reconcile request was made.
func (ReconcileRequested) Update(e event.UpdateEvent) bool {
	if e.ObjectOld == nil || e.ObjectNew == nil {
		return false
	}
	newValue, ok := meta.ReconcileAnnotationValue(e.ObjectNew.GetAnnotations())
	if !ok {
		return false
	}
	oldValue, _ := meta.ReconcileAnnotationValue(e.ObjectOld.GetAnnotations())
	return newValue != oldValue
}

// Deleting passes the update that starts a deletion, which does not always
// change the generation.
type Deleting struct {
	predicate.Funcs
}

// Update reports whether the object has just been marked for deletion.
func (Deleting) Update(e event.UpdateEvent) bool {
	return e.ObjectOld != nil && e.ObjectNew != nil &&
		e.ObjectOld.GetDeletionTimestamp().IsZero() && !e.ObjectNew.GetDeletionTimestamp().IsZero()
}

// ArtifactChanged passes the updates of a source that bring an artifact of
// another revision or content: its first artifact, a new revision, or the
// same revision with another digest (spec.ignore changed, say). With
// Lifecycle it also passes the creation and deletion of the source, for
// consumers that must notice a source appear or go.
type ArtifactChanged struct {
	Lifecycle bool
}

// Create passes a creation when Lifecycle is set.
func (p ArtifactChanged) Create(event.CreateEvent) bool { return p.Lifecycle }

// Delete passes a deletion when Lifecycle is set.
func (p ArtifactChanged) Delete(event.DeleteEvent) bool { return p.Lifecycle }

// Generic passes nothing.
func (ArtifactChanged) Generic(event.GenericEvent) bool { return false }

// Update passes an artifact of another revision or digest.
func (ArtifactChanged) Update(e event.UpdateEvent) bool {
	oldSrc, ok1 := e.ObjectOld.(sourcev1.Source)
	newSrc, ok2 := e.ObjectNew.(sourcev1.Source)
	if !ok1 || !ok2 || newSrc.GetArtifact() == nil {
		return false
	}
	oldArt, newArt := oldSrc.GetArtifact(), newSrc.GetArtifact()
	return oldArt == nil || oldArt.Revision != newArt.Revision || oldArt.Digest != newArt.Digest
}
