package gitrepository

import (
	"context"
	"fmt"
	"reflect"

	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/artifact"
)

// Content selection: what goes into the artifact (the checkout, the
// included artifacts, spec.ignore and the .sourceignore files) and whether
// an unchanged revision needs a new artifact. spec.include is resolved in
// include.go, the size limits are in limits.go.

// NewRevisionReason: the remote has a revision the stored artifact is not
// of yet (ArtifactOutdated).
const NewRevisionReason = "NewRevision"

// contentChanged reports whether the artifact must be rebuilt although the
// remote revision is unchanged: spec.ignore, spec.include or an included
// artifact differ from what the current artifact was built with.
func contentChanged(obj *sourcev1.GitRepository, includes []*meta.Artifact) bool {
	if !equalStringPtr(obj.Status.ObservedIgnore, obj.Spec.Ignore) {
		return true
	}
	if len(obj.Status.ObservedInclude) != len(obj.Spec.Include) ||
		(len(obj.Spec.Include) > 0 && !reflect.DeepEqual(obj.Status.ObservedInclude, obj.Spec.Include)) {
		return true
	}
	return includesChanged(obj.Status.IncludedArtifacts, includes)
}

func equalStringPtr(a, b *string) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// prepareContent completes the checkout at dir for archiving: it copies the
// included artifacts in, checks the size limit, and returns the archive
// options applying spec.ignore and the .sourceignore files.
func (r *Reconciler) prepareContent(ctx context.Context, obj *sourcev1.GitRepository, includes []*meta.Artifact, dir string) ([]artifact.ArchiveOption, *failure) {
	fetcher := &artifact.Fetcher{Storage: r.Storage, MaxSize: r.maxArtifactSize()}
	for i, incl := range obj.Spec.Include {
		if err := fetcher.CopyToPath(ctx, includes[i], incl.GetFromPath(), dir, incl.GetToPath()); err != nil {
			return nil, &failure{CondType: meta.IncludeUnavailableCondition, Reason: CopyFailureReason,
				Err: fmt.Errorf("failed to copy '%s' include from '%s' to '%s': %w",
					incl.GitRepositoryRef.Name, incl.GetFromPath(), incl.GetToPath(), err)}
		}
	}
	if _, err := artifact.DirSize(dir, r.maxCheckoutSize()); err != nil {
		return nil, r.checkoutFailure(err)
	}
	filter, err := artifact.IgnoreFilter(dir, obj.Spec.Ignore)
	if err != nil {
		return nil, &failure{CondType: meta.StorageOperationFailedCondition, Reason: meta.ArchiveOperationFailedReason,
			Err: fmt.Errorf("failed to load ignore patterns: %w", err)}
	}
	return []artifact.ArchiveOption{artifact.WithFilter(filter)}, nil
}

// recordContent records what the new artifact was built from.
func recordContent(obj *sourcev1.GitRepository, includes []*meta.Artifact) {
	obj.Status.ObservedIgnore = nil
	if obj.Spec.Ignore != nil {
		v := *obj.Spec.Ignore
		obj.Status.ObservedIgnore = &v
	}
	obj.Status.ObservedInclude = nil
	obj.Status.IncludedArtifacts = nil
	if len(obj.Spec.Include) > 0 {
		obj.Status.ObservedInclude = append([]sourcev1.GitRepositoryInclude(nil), obj.Spec.Include...)
		obj.Status.IncludedArtifacts = includes
	}
}
