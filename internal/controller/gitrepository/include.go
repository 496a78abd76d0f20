package gitrepository

import (
	"context"
	"fmt"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/artifact"
	"github.com/ferrycd/ferry/internal/status"
)

// spec.include: resolving the included GitRepositories' artifacts, refusing
// cycles, and rebuilding an includer when an included artifact changes.

const (
	// DefaultDependencyRequeueInterval is how soon a GitRepository waiting
	// for an included one is retried, like Flux's --requeue-dependency.
	DefaultDependencyRequeueInterval = 30 * time.Second

	// includeIndexKey indexes GitRepositories by the names of the
	// GitRepositories they include.
	includeIndexKey = ".spec.include.repository.name"
)

// Reasons Flux's source-controller reports spec.include problems with.
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
	// IncludeCycleReason: spec.include leads back to the GitRepository.
	IncludeCycleReason = "IncludeCycle"
)

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
		return nil, &failure{CondType: meta.IncludeUnavailableCondition, Reason: IncludeCycleReason, Stalled: true,
			Err: fmt.Errorf("include cycle: %s: an artifact cannot include itself", cycle)}
	}
	artifacts := make([]*meta.Artifact, 0, len(obj.Spec.Include))
	for _, incl := range obj.Spec.Include {
		name := incl.GitRepositoryRef.Name
		if _, err := artifact.ConfinedPath(incl.GetFromPath()); err != nil {
			return nil, &failure{CondType: meta.IncludeUnavailableCondition, Reason: IllegalPathReason, Stalled: true,
				Err: fmt.Errorf("invalid fromPath for include '%s': %w", name, err)}
		}
		if _, err := artifact.ConfinedPath(incl.GetToPath()); err != nil {
			return nil, &failure{CondType: meta.IncludeUnavailableCondition, Reason: IllegalPathReason, Stalled: true,
				Err: fmt.Errorf("invalid toPath for include '%s': %w", name, err)}
		}
		dep := &sourcev1.GitRepository{}
		if err := r.Get(ctx, types.NamespacedName{Namespace: obj.Namespace, Name: name}, dep); err != nil {
			f := &failure{CondType: meta.IncludeUnavailableCondition, Reason: IncludeNotFoundReason,
				Err: fmt.Errorf("could not get resource for include '%s': %w", name, err), Waiting: r.dependencyRequeue()}
			if !apierrors.IsNotFound(err) {
				f.Reason, f.Waiting = meta.FailedReason, 0
			}
			return nil, f
		}
		if dep.GetArtifact() == nil {
			return nil, &failure{CondType: meta.IncludeUnavailableCondition, Reason: IncludeNoArtifactReason,
				Err: fmt.Errorf("no artifact available for include '%s'", name), Waiting: r.dependencyRequeue()}
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
