package kustomization

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/fluxcd/pkg/ssa"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/apply"
	"github.com/ferrycd/ferry/internal/build"
	"github.com/ferrycd/ferry/internal/status"
)

// reconcile runs the phases of one reconciliation of a Kustomization that
// is neither deleted nor suspended. Failures are reported in the conditions
// and retried after spec.retryInterval; only errors talking to the API
// server are returned, for a retry with backoff.
func (r *Reconciler) reconcile(ctx context.Context, obj *kustomizev1.Kustomization, patcher *status.Patcher) (ctrl.Result, error) {
	logger := log.FromContext(ctx)
	start := time.Now()

	// Refuse fields that would change what is applied and are not acted on yet.
	if fields := unsupportedFields(&obj.Spec); len(fields) > 0 {
		msg := unsupportedMessage(fields)
		status.MarkFalse(obj, meta.ReadyCondition, UnsupportedFieldReason, "%s", msg)
		status.MarkStalled(obj, UnsupportedFieldReason, "%s", msg)
		logger.Info("reconciliation stalled", "error", msg)
		r.event(obj, "", "Warning", UnsupportedFieldReason, msg)
		return ctrl.Result{}, nil
	}

	// Refuse references to other namespaces under --no-cross-namespace-refs.
	if msg := r.crossNamespaceRef(obj); msg != "" {
		status.MarkFalse(obj, meta.ReadyCondition, AccessDeniedReason, "%s", msg)
		status.MarkStalled(obj, AccessDeniedReason, "%s", msg)
		logger.Info("reconciliation stalled", "error", msg)
		r.event(obj, "", "Warning", AccessDeniedReason, msg)
		return ctrl.Result{}, nil
	}

	// Get the source and its artifact; without one, wait for it.
	src, err := r.getSource(ctx, obj)
	if err != nil {
		var unsupported unsupportedSourceError
		switch {
		case errors.As(err, &unsupported):
			status.MarkFalse(obj, meta.ReadyCondition, meta.ArtifactFailedReason, "%s", err)
			status.MarkStalled(obj, meta.ArtifactFailedReason, "%s", err)
			logger.Info("reconciliation stalled", "error", err.Error())
			r.event(obj, "", "Warning", meta.ArtifactFailedReason, err.Error())
			return ctrl.Result{}, nil
		case apierrors.IsNotFound(err):
			msg := fmt.Sprintf("source %s not found", sourceString(obj))
			status.MarkFalse(obj, meta.ReadyCondition, meta.ArtifactFailedReason, "%s", msg)
			logger.Info(msg)
			return ctrl.Result{RequeueAfter: obj.GetRetryInterval()}, nil
		default:
			status.MarkFalse(obj, meta.ReadyCondition, meta.ArtifactFailedReason, "%s", err)
			return ctrl.Result{}, err
		}
	}
	art := src.GetArtifact()
	if art == nil {
		msg := fmt.Sprintf("source %s has no artifact yet, retrying in %s", sourceString(obj), r.dependencyRequeue())
		status.MarkFalse(obj, meta.ReadyCondition, meta.ArtifactFailedReason, "%s", msg)
		logger.Info(msg)
		return ctrl.Result{RequeueAfter: r.dependencyRequeue()}, nil
	}
	revision := art.Revision

	// Wait for the dependencies; a dependency that becomes Ready enqueues this one.
	if len(obj.Spec.DependsOn) > 0 {
		if err := r.checkDependencies(ctx, obj, src); err != nil {
			status.MarkFalse(obj, meta.ReadyCondition, meta.DependencyNotReadyReason, "%s", err)
			msg := fmt.Sprintf("dependencies do not meet ready condition (%s), retrying in %s", err, r.dependencyRequeue())
			logger.Info(msg)
			r.event(obj, revision, "Normal", meta.DependencyNotReadyReason, msg)
			return ctrl.Result{RequeueAfter: r.dependencyRequeue()}, nil
		}
	}

	wasReady, lastApplied := status.IsReady(obj), obj.Status.LastAppliedRevision
	if failed := r.reconcileRevision(ctx, obj, art, patcher); failed != nil {
		if failed.stalled {
			// Misconfigured: say so once; the object must change before a retry can help.
			logger.Info("reconciliation stalled", "revision", revision, "error", failed.Error())
			r.event(obj, revision, "Warning", failed.reason, failed.Error())
			return ctrl.Result{}, nil
		}
		retry := obj.GetRetryInterval()
		if failed.retrySooner && r.dependencyRequeue() < retry {
			retry = r.dependencyRequeue()
		}
		logger.Info("reconciliation failed", "revision", revision, "error", failed.Error(), "retryIn", retry.String())
		r.event(obj, revision, "Warning", failed.reason, failed.Error())
		return ctrl.Result{RequeueAfter: retry}, nil
	}

	msg := fmt.Sprintf("Reconciliation finished in %s, next run in %s",
		time.Since(start).Round(time.Millisecond), obj.Spec.Interval.Duration)
	logger.Info(msg, "revision", revision)
	// Announce a new revision or a recovery; a routine re-apply stays quiet.
	if !wasReady || lastApplied != revision {
		r.event(obj, revision, "Normal", meta.ReconciliationSucceededReason, msg)
	}
	return ctrl.Result{RequeueAfter: obj.GetRequeueAfter()}, nil
}

// phaseError is a failed phase: the Ready reason it reports, whether the
// object is stalled (misconfigured: no retry until it changes), and whether
// the failure is likely to clear on its own soon (an artifact being
// replaced), so that it is retried before spec.retryInterval.
type phaseError struct {
	reason      string
	err         error
	stalled     bool
	retrySooner bool
}

func (e *phaseError) Error() string { return e.err.Error() }
func (e *phaseError) Unwrap() error { return e.err }

// fail marks Ready=False with the phase's reason and returns the phase error.
func fail(obj *kustomizev1.Kustomization, reason string, err error) *phaseError {
	err = redact(obj, err) // no value substituted from a Secret in a message
	status.MarkFalse(obj, meta.ReadyCondition, reason, "%s", err)
	return &phaseError{reason: reason, err: err}
}

// reconcileRevision fetches, builds, applies and prunes one artifact revision.
func (r *Reconciler) reconcileRevision(ctx context.Context, obj *kustomizev1.Kustomization, art *meta.Artifact, patcher *status.Patcher) *phaseError {
	revision := art.Revision
	timeout := obj.GetTimeout()
	// A routine re-apply reports no intermediate progress unless it finds drift (see quietProgress).
	quiet := &quietProgress{quiet: status.IsReady(obj) && obj.Status.LastAppliedRevision == revision &&
		obj.Status.ObservedGeneration == obj.Generation}
	ctx = withQuietProgress(ctx, quiet)
	status.MarkUnknown(obj, meta.ReadyCondition, meta.ProgressingReason, "Reconciliation in progress")
	status.MarkReconciling(obj, meta.ProgressingReason, "Fetching manifests for revision %s with a timeout of %s", revision, timeout)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	// Fetch the artifact, unpacked once per digest and shared read-only.
	dir, release, err := r.artifactCache().Acquire(ctx, art)
	if err != nil {
		pe := fail(obj, meta.ArtifactFailedReason, fmt.Errorf("revision %s: %w", revision, err))
		pe.retrySooner = true
		return pe
	}
	defer release()

	// Build the path.
	obj.Status.LastAttemptedRevision = revision
	status.MarkReconciling(obj, meta.ProgressingReason, "Building manifests for revision %s with a timeout of %s", revision, timeout)
	r.patchProgress(ctx, obj, patcher)
	objects, err := r.build(ctx, obj, dir, revision)
	switch {
	case errors.Is(err, build.ErrPathOutsideRoot):
		pe := fail(obj, meta.InvalidPathReason, fmt.Errorf("spec.path: %w", err))
		status.MarkStalled(obj, meta.InvalidPathReason, "%s", pe.err)
		pe.stalled = true
		return pe
	case errors.Is(err, build.ErrPathNotFound):
		return fail(obj, meta.ArtifactFailedReason, fmt.Errorf("%w in revision %s", err, revision))
	case err != nil:
		return fail(obj, meta.BuildFailedReason, fmt.Errorf("build of revision %s failed: %w", revision, err))
	}

	// A path that suddenly builds nothing must not wipe what it applied before.
	if pe := refuseEmptyBuild(obj, objects, revision); pe != nil {
		return pe
	}

	// Apply in stages; drift is corrected here, since every object is compared with the cluster.
	status.MarkReconciling(obj, meta.ProgressingReason, "Detecting drift for revision %s with a timeout of %s", revision, timeout)
	r.patchProgress(ctx, obj, patcher)
	kube, _, err := r.targetClient(ctx, obj) // spec.kubeConfig, spec.serviceAccountName
	if err != nil {
		return fail(obj, meta.ReconciliationFailedReason, err)
	}
	m := apply.NewManager(kube, apply.Owner{Name: obj.Name, Namespace: obj.Namespace})
	cs, err := m.Apply(ctx, objects, apply.Options{Force: obj.Spec.Force, WaitTimeout: timeout})
	if msg := changeSetMessage(cs, false); msg != "" {
		quiet.quiet = false
		r.event(obj, revision, "Normal", "Progressing", msg)
	}
	if err != nil {
		return fail(obj, meta.ReconciliationFailedReason, fmt.Errorf("apply of revision %s failed%s: %w", revision, r.actingAs(obj), err))
	}

	// Record the inventory, then prune what the revision no longer declares.
	oldInventory := obj.Status.Inventory
	newInventory := apply.Inventory(cs)
	obj.Status.Inventory = newInventory
	if obj.Spec.Prune {
		stale, err := apply.Stale(oldInventory, newInventory)
		if err != nil {
			return fail(obj, meta.PruneFailedReason, fmt.Errorf("finding objects to prune: %w", err))
		}
		pruned, err := m.Prune(ctx, stale)
		if msg := changeSetMessage(pruned, true); msg != "" {
			r.event(obj, revision, "Normal", "Progressing", msg)
		}
		if err != nil {
			return fail(obj, meta.PruneFailedReason, fmt.Errorf("prune failed%s: %w", r.actingAs(obj), err))
		}
	}

	// Wait for the applied objects (spec.wait) or spec.healthChecks to become ready.
	if pe := r.checkHealth(ctx, obj, m, objects, cs, revision, patcher); pe != nil {
		return pe
	}

	obj.Status.LastAppliedRevision = revision
	status.MarkReady(obj, meta.ReconciliationSucceededReason, "Applied revision: %s", revision)
	return nil
}

// patchProgress shows the current phase in the status; a failure to do so
// is not worth failing the reconciliation for.
func (r *Reconciler) patchProgress(ctx context.Context, obj *kustomizev1.Kustomization, patcher *status.Patcher) {
	if progressIsQuiet(ctx) {
		return
	}
	if err := patcher.Patch(ctx, obj); err != nil {
		log.FromContext(ctx).V(1).Info("could not report progress", "error", err.Error())
	}
}

// sourceWithArtifact is a source that produces artifacts.
type sourceWithArtifact interface {
	GetArtifact() *meta.Artifact
}

// unsupportedSourceError reports a sourceRef kind ferry cannot read yet.
type unsupportedSourceError struct{ kind string }

func (e unsupportedSourceError) Error() string {
	return fmt.Sprintf("source kind %s is not supported yet; use a GitRepository", e.kind)
}

// getSource returns the source the Kustomization references.
func (r *Reconciler) getSource(ctx context.Context, obj *kustomizev1.Kustomization) (sourceWithArtifact, error) {
	ns := obj.Spec.SourceRef.Namespace
	if ns == "" {
		ns = obj.Namespace
	}
	key := types.NamespacedName{Namespace: ns, Name: obj.Spec.SourceRef.Name}
	switch obj.Spec.SourceRef.Kind {
	case sourcev1.GitRepositoryKind:
		src := &sourcev1.GitRepository{}
		if err := r.Get(ctx, key, src); err != nil {
			return nil, err
		}
		return src, nil
	default:
		return nil, unsupportedSourceError{kind: obj.Spec.SourceRef.Kind}
	}
}

// sourceString names the source as Kind/namespace/name.
func sourceString(obj *kustomizev1.Kustomization) string {
	ns := obj.Spec.SourceRef.Namespace
	if ns == "" {
		ns = obj.Namespace
	}
	return fmt.Sprintf("%s/%s/%s", obj.Spec.SourceRef.Kind, ns, obj.Spec.SourceRef.Name)
}

func (r *Reconciler) dependencyRequeue() time.Duration {
	if r.DependencyRequeueInterval > 0 {
		return r.DependencyRequeueInterval
	}
	return 30 * time.Second
}

// changeSetMessage lists the entries of a change set that changed something,
// one "Kind/namespace/name action" per line; with deletions, only deleted
// entries.
func changeSetMessage(cs *ssa.ChangeSet, deletions bool) string {
	if cs == nil {
		return ""
	}
	var lines []string
	for _, e := range cs.Entries {
		switch {
		case deletions && e.Action == ssa.DeletedAction,
			!deletions && (e.Action == ssa.CreatedAction || e.Action == ssa.ConfiguredAction):
			lines = append(lines, e.String())
		}
	}
	return strings.Join(lines, "\n")
}

// event records a Kubernetes event about obj, annotated with the revision
// as Flux does.
func (r *Reconciler) event(obj *kustomizev1.Kustomization, revision, eventType, reason, msg string) {
	if r.EventRecorder == nil {
		return
	}
	annotations := map[string]string{}
	if revision != "" {
		annotations[kustomizev1.GroupVersion.Group+"/revision"] = revision
	}
	r.EventRecorder.AnnotatedEventf(obj, annotations, eventType, reason, "%s", msg)
}
