package gitrepository

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/artifact"
	"github.com/ferrycd/ferry/internal/status"
)

// Content selection and limits: spec.ignore and .sourceignore, spec.include,
// the checkout and artifact size limits.

const (
	// DefaultMaxCheckoutSize bounds the bytes a checkout (working tree and
	// .git, with the included artifacts) may take on disk when
	// Reconciler.MaxCheckoutSize is not set.
	DefaultMaxCheckoutSize int64 = 1 << 30

	// DefaultDependencyRequeueInterval is how soon a GitRepository waiting
	// for an included one is retried, like Flux's --requeue-dependency.
	DefaultDependencyRequeueInterval = 30 * time.Second

	// includeIndexKey indexes GitRepositories by the names of the
	// GitRepositories they include.
	includeIndexKey = ".spec.include.repository.name"
)

// Reasons Flux's source-controller reports spec.include problems with, and
// ferry's reason for an oversized checkout.
const (
	// IncludeNotFoundReason: an included GitRepository does not exist.
	IncludeNotFoundReason = "NotFound"
	// IncludeNoArtifactReason: an included GitRepository has no artifact.
	IncludeNoArtifactReason = "NoArtifact"
	// IllegalPathReason: include fromPath or toPath leaves the artifact.
	IllegalPathReason = "IllegalPath"
	// CopyFailureReason: an included artifact could not be copied.
	CopyFailureReason = "CopyFailure"
	// IncludeChangeReason: an included artifact changed.
	IncludeChangeReason = "IncludeChange"
	// CheckoutTooLargeReason: the checkout passed the size limit.
	CheckoutTooLargeReason = "CheckoutTooLarge"
	// IncludeCycleReason: spec.include leads back to the GitRepository.
	IncludeCycleReason = "IncludeCycle"
	// NewRevisionReason: the remote has a revision the stored artifact
	// is not of yet (ArtifactOutdated).
	NewRevisionReason = "NewRevision"
)

// checkoutPollInterval is how often the size of a checkout in progress is
// measured.
const checkoutPollInterval = 200 * time.Millisecond

func (r *Reconciler) maxCheckoutSize() int64 {
	if r.MaxCheckoutSize > 0 {
		return r.MaxCheckoutSize
	}
	return DefaultMaxCheckoutSize
}

func (r *Reconciler) dependencyRequeue() time.Duration {
	if r.DependencyRequeueInterval > 0 {
		return r.DependencyRequeueInterval
	}
	return DefaultDependencyRequeueInterval
}

// resolveIncludes returns the artifacts of the GitRepositories obj
// includes, in spec order, or the failure that stops the reconcile: a
// path leaving the artifact stalls it; a missing GitRepository or one
// without an artifact makes it wait. It reads from the cache only.
func (r *Reconciler) resolveIncludes(ctx context.Context, obj *sourcev1.GitRepository) ([]*meta.Artifact, *failure) {
	if len(obj.Spec.Include) == 0 {
		status.Delete(obj, meta.IncludeUnavailableCondition)
		return nil, nil
	}
	if cycle := r.includeCycle(ctx, obj); cycle != "" {
		return nil, &failure{condType: meta.IncludeUnavailableCondition, reason: IncludeCycleReason, stalled: true,
			err: fmt.Errorf("include cycle: %s: an artifact cannot include itself", cycle)}
	}
	artifacts := make([]*meta.Artifact, 0, len(obj.Spec.Include))
	for _, incl := range obj.Spec.Include {
		name := incl.GitRepositoryRef.Name
		if _, err := artifact.ConfinedPath(incl.GetFromPath()); err != nil {
			return nil, &failure{condType: meta.IncludeUnavailableCondition, reason: IllegalPathReason, stalled: true,
				err: fmt.Errorf("invalid fromPath for include '%s': %w", name, err)}
		}
		if _, err := artifact.ConfinedPath(incl.GetToPath()); err != nil {
			return nil, &failure{condType: meta.IncludeUnavailableCondition, reason: IllegalPathReason, stalled: true,
				err: fmt.Errorf("invalid toPath for include '%s': %w", name, err)}
		}
		dep := &sourcev1.GitRepository{}
		if err := r.Get(ctx, types.NamespacedName{Namespace: obj.Namespace, Name: name}, dep); err != nil {
			f := &failure{condType: meta.IncludeUnavailableCondition, reason: IncludeNotFoundReason,
				err: fmt.Errorf("could not get resource for include '%s': %w", name, err), waiting: r.dependencyRequeue()}
			if !apierrors.IsNotFound(err) {
				f.reason, f.waiting = meta.FailedReason, 0
			}
			return nil, f
		}
		if dep.GetArtifact() == nil {
			return nil, &failure{condType: meta.IncludeUnavailableCondition, reason: IncludeNoArtifactReason,
				err: fmt.Errorf("no artifact available for include '%s'", name), waiting: r.dependencyRequeue()}
		}
		artifacts = append(artifacts, dep.GetArtifact().DeepCopy())
	}
	status.Delete(obj, meta.IncludeUnavailableCondition)
	if includesChanged(obj.Status.IncludedArtifacts, artifacts) && obj.Status.Artifact != nil {
		status.MarkTrue(obj, meta.ArtifactOutdatedCondition, IncludeChangeReason, "included artifacts differ from last observed includes")
		status.MarkReconciling(obj, IncludeChangeReason, "included artifacts differ from last observed includes")
	}
	return artifacts, nil
}

// maxIncludeDepth bounds the search for include cycles.
const maxIncludeDepth = 32

// includeCycle returns the path of GitRepository names by which obj
// includes itself, directly or through others ("a -> b -> a"), or "".
// It reads the cache only; GitRepositories that do not exist yet end the
// path.
func (r *Reconciler) includeCycle(ctx context.Context, obj *sourcev1.GitRepository) string {
	var visit func(name string, path []string) string
	seen := map[string]bool{}
	visit = func(name string, path []string) string {
		path = append(path, name)
		if name == obj.Name && len(path) > 1 {
			return strings.Join(path, " -> ")
		}
		if seen[name] || len(path) > maxIncludeDepth {
			return ""
		}
		seen[name] = true
		dep := obj
		if name != obj.Name {
			dep = &sourcev1.GitRepository{}
			if err := r.Get(ctx, types.NamespacedName{Namespace: obj.Namespace, Name: name}, dep); err != nil {
				return ""
			}
		}
		for _, incl := range dep.Spec.Include {
			if c := visit(incl.GitRepositoryRef.Name, path); c != "" {
				return c
			}
		}
		return ""
	}
	return visit(obj.Name, nil)
}

// includesChanged reports whether the included artifacts differ from the
// ones the current artifact was built with.
func includesChanged(observed, current []*meta.Artifact) bool {
	if len(observed) != len(current) {
		return true
	}
	for i := range current {
		if observed[i] == nil || current[i] == nil ||
			observed[i].Digest != current[i].Digest || observed[i].Revision != current[i].Revision {
			return true
		}
	}
	return false
}

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
			return nil, &failure{condType: meta.IncludeUnavailableCondition, reason: CopyFailureReason,
				err: fmt.Errorf("failed to copy '%s' include from '%s' to '%s': %w",
					incl.GitRepositoryRef.Name, incl.GetFromPath(), incl.GetToPath(), err)}
		}
	}
	if _, err := artifact.DirSize(dir, r.maxCheckoutSize()); err != nil {
		return nil, r.checkoutFailure(err)
	}
	filter, err := artifact.IgnoreFilter(dir, obj.Spec.Ignore)
	if err != nil {
		return nil, &failure{condType: meta.StorageOperationFailedCondition, reason: meta.ArchiveOperationFailedReason,
			err: fmt.Errorf("failed to load ignore patterns: %w", err)}
	}
	return []artifact.ArchiveOption{artifact.WithFilter(filter)}, nil
}

// checkoutFailure reports a checkout past the limit, or another error
// measuring it.
func (r *Reconciler) checkoutFailure(err error) *failure {
	if errors.Is(err, artifact.ErrTooLarge) {
		return &failure{condType: meta.FetchFailedCondition, reason: CheckoutTooLargeReason,
			err: fmt.Errorf("repository checkout exceeds the maximum checkout size of %d bytes", r.maxCheckoutSize())}
	}
	return &failure{condType: meta.StorageOperationFailedCondition, reason: meta.StatOperationFailedReason,
		err: fmt.Errorf("failed to measure the checkout: %w", err)}
}

// archiveFailure reports a failed Archive, naming the limit when the
// artifact was too large.
func (r *Reconciler) archiveFailure(err error) *failure {
	if errors.Is(err, artifact.ErrTooLarge) {
		err = fmt.Errorf("artifact exceeds the maximum artifact size of %d bytes", r.maxArtifactSize())
	}
	return &failure{condType: meta.StorageOperationFailedCondition, reason: meta.ArchiveOperationFailedReason,
		err: fmt.Errorf("unable to archive artifact to storage: %w", err)}
}

func (r *Reconciler) maxArtifactSize() int64 {
	if r.Storage.MaxSize > 0 {
		return r.Storage.MaxSize
	}
	return artifact.DefaultMaxSize
}

// watchCheckout measures dir while a clone writes into it and calls cancel
// once it passes the checkout limit, so a huge repository cannot fill the
// disk. The returned function stops the watch and returns the failure
// when the limit was passed.
func (r *Reconciler) watchCheckout(cancel context.CancelFunc, dir string) func() *failure {
	limit := r.maxCheckoutSize()
	done := make(chan struct{})
	var wg sync.WaitGroup
	var exceeded bool
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(checkoutPollInterval)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if _, err := artifact.DirSize(dir, limit); errors.Is(err, artifact.ErrTooLarge) {
					exceeded = true
					cancel()
					return
				}
			}
		}
	}()
	return func() *failure {
		close(done)
		wg.Wait()
		if !exceeded {
			// Catch what was written since the last measure.
			if _, err := artifact.DirSize(dir, limit); !errors.Is(err, artifact.ErrTooLarge) {
				return nil
			}
		}
		return r.checkoutFailure(artifact.ErrTooLarge)
	}
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

// indexIncludes returns the names of the GitRepositories obj includes.
func indexIncludes(o client.Object) []string {
	obj, ok := o.(*sourcev1.GitRepository)
	if !ok {
		return nil
	}
	var names []string
	for _, incl := range obj.Spec.Include {
		names = append(names, incl.GitRepositoryRef.Name)
	}
	return names
}

// requestsForIncluders maps a GitRepository to the GitRepositories of its
// namespace that include it.
func (r *Reconciler) requestsForIncluders(ctx context.Context, o client.Object) []reconcile.Request {
	list := &sourcev1.GitRepositoryList{}
	if err := r.List(ctx, list, client.InNamespace(o.GetNamespace()), client.MatchingFields{includeIndexKey: o.GetName()}); err != nil {
		return nil
	}
	reqs := make([]reconcile.Request, 0, len(list.Items))
	for _, gr := range list.Items {
		reqs = append(reqs, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: gr.Namespace, Name: gr.Name}})
	}
	return reqs
}
