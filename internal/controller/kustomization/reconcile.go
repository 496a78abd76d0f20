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
	"sigs.k8s.io/controller-runtime/pkg/log"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/apply"
	"github.com/ferrycd/ferry/internal/build"
	"github.com/ferrycd/ferry/internal/events"
	"github.com/ferrycd/ferry/internal/reconcile"
	"github.com/ferrycd/ferry/internal/source"
	"github.com/ferrycd/ferry/internal/status"
)

// reconcile runs the phases of one reconciliation of a Kustomization that
// is neither deleted nor suspended. Its error is the outcome (see
// internal/reconcile): a failure is reported in the conditions and retried
// after spec.retryInterval, a misconfiguration stalls, and a missing
// artifact or dependency is waited for.
func (r *Reconciler) reconcile(ctx context.Context, obj *kustomizev1.Kustomization, patcher *status.Patcher) error {
	logger := log.FromContext(ctx)
	start := time.Now()

	// Refuse fields that would change what is applied and are not acted on yet.
	if fields := unsupportedFields(&obj.Spec); len(fields) > 0 {
		return r.stall(obj, "", UnsupportedFieldReason, errors.New(unsupportedMessage(fields)))
	}

	// Refuse references to other namespaces under --no-cross-namespace-refs.
	if err := r.crossNamespaceRef(obj); err != nil {
		return r.stall(obj, "", AccessDeniedReason, err)
	}

	// Get the source and its artifact; without one, wait for it.
	src, err := r.getSource(ctx, obj)
	if err != nil {
		var unsupported *source.UnsupportedKindError
		switch {
		case errors.As(err, &unsupported):
			return r.stall(obj, "", meta.ArtifactFailedReason, err)
		case apierrors.IsNotFound(err):
			err = fmt.Errorf("source %s not found", sourceString(obj))
		}
		status.MarkFalse(obj, meta.ReadyCondition, meta.ArtifactFailedReason, "%s", err)
		return err
	}
	art := src.GetArtifact()
	if art == nil {
		err := fmt.Errorf("source %s has no artifact yet, retrying in %s", sourceString(obj), r.dependencyRequeue())
		status.MarkFalse(obj, meta.ReadyCondition, meta.ArtifactFailedReason, "%s", err)
		return reconcile.Waiting(meta.ArtifactFailedReason, r.dependencyRequeue(), err)
	}
	revision := art.Revision

	// Wait for the dependencies; a dependency that becomes Ready enqueues this one.
	if len(obj.Spec.DependsOn) > 0 {
		if err := r.checkDependencies(ctx, obj, src); err != nil {
			status.MarkFalse(obj, meta.ReadyCondition, meta.DependencyNotReadyReason, "%s", err)
			msg := fmt.Sprintf("dependencies do not meet ready condition (%s), retrying in %s", err, r.dependencyRequeue())
			r.normal(obj, revision, meta.DependencyNotReadyReason, msg)
			return reconcile.Waiting(meta.DependencyNotReadyReason, r.dependencyRequeue(), errors.New(msg))
		}
	}

	wasReady, lastApplied := status.IsReady(obj), obj.Status.LastAppliedRevision
	if failed := r.reconcileRevision(ctx, obj, art, patcher); failed != nil {
		if failed.waiting {
			// Not a failure: the check's end enqueues it; the requeue is a safety net.
			return reconcile.Waiting(failed.reason, max(failed.waitFor, 0)+waitSafetyMargin, failed)
		}
		r.warning(obj, revision, failed.reason, failed.Error())
		switch {
		case failed.stalled:
			return reconcile.Stalled(failed.reason, failed)
		case failed.retrySooner && r.dependencyRequeue() < obj.GetRetryInterval():
			return reconcile.Waiting(failed.reason, r.dependencyRequeue(), failed)
		}
		return failed
	}

	msg := fmt.Sprintf("Reconciliation finished in %s, next run in %s",
		time.Since(start).Round(time.Millisecond), obj.Spec.Interval.Duration)
	logger.Info(msg, "revision", revision)
	// Announce a new revision or a recovery; a routine re-apply stays quiet.
	if !wasReady || lastApplied != revision {
		// Flux marks this event as the one commit statuses report.
		r.Events.Normal(obj, meta.ReconciliationSucceededReason, msg, map[string]string{
			events.MetaRevision:     revision,
			events.MetaCommitStatus: events.CommitStatusUpdate,
		})
	}
	return nil
}

// stall marks obj Ready=False and Stalled for reason, with a Warning event:
// it is misconfigured, and no retry can help until it changes.
func (r *Reconciler) stall(obj *kustomizev1.Kustomization, revision, reason string, err error) error {
	status.MarkFalse(obj, meta.ReadyCondition, reason, "%s", err)
	status.MarkStalled(obj, reason, "%s", err)
	r.warning(obj, revision, reason, err.Error())
	return reconcile.Stalled(reason, err)
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
	// waiting is a health check going on off the workers, which enqueues
	// the Kustomization when it ends; waitFor is its time left.
	waiting bool
	waitFor time.Duration
}

func (e *phaseError) Error() string { return e.err.Error() }
func (e *phaseError) Unwrap() error { return e.err }

// fail marks Ready=False with the phase's reason and returns the phase error.
func (r *Reconciler) fail(obj *kustomizev1.Kustomization, reason string, err error) *phaseError {
	err = r.redact(obj, err) // no value substituted from a Secret in a message
	status.MarkFalse(obj, meta.ReadyCondition, reason, "%s", err)
	return &phaseError{reason: reason, err: err}
}

// reconcileRevision fetches, builds, applies and prunes one artifact revision.
func (r *Reconciler) reconcileRevision(ctx context.Context, obj *kustomizev1.Kustomization, art *meta.Artifact, patcher *status.Patcher) *phaseError {
	revision := art.Revision
	timeout := obj.GetTimeout()
	// A routine re-apply reports no intermediate progress unless it finds drift (see progress).
	prog := &progress{patcher: patcher, quiet: status.IsReady(obj) && obj.Status.LastAppliedRevision == revision &&
		obj.Status.ObservedGeneration == obj.Generation}
	last, _ := r.memory.inputs.Load(obj.UID)
	in, _ := last.(*inputs)
	recordOnly := mayRecordOnly(obj, in, revision) // decided on the status as it was
	status.MarkUnknown(obj, meta.ReadyCondition, meta.ProgressingReason, "Reconciliation in progress")
	status.MarkReconciling(obj, meta.ProgressingReason, "Fetching manifests for revision %s with a timeout of %s", revision, timeout)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	// Fetch the artifact, unpacked once per digest and shared read-only.
	dir, release, err := r.artifactCache().Acquire(ctx, art)
	if err != nil {
		pe := r.fail(obj, meta.ArtifactFailedReason, fmt.Errorf("revision %s: %w", revision, err))
		pe.retrySooner = true
		return pe
	}
	defer release()

	// Build the path, unless the new revision changes nothing the last build read.
	sub, err := r.substitution(ctx, obj)
	if err != nil {
		obj.Status.LastAttemptedRevision = revision
		return r.fail(obj, meta.BuildFailedReason, fmt.Errorf("build of revision %s failed: %w", revision, err))
	}
	if handled, pe := r.finishWait(ctx, obj, dir, revision, sub); handled {
		return pe
	}
	if recordOnly && r.unchangedSince(ctx, in, obj, dir, sub) {
		log.FromContext(ctx).Info("build inputs unchanged: revision recorded without a build",
			"revision", revision, "lastAppliedRevision", in.revision, "filesRead", in.reads.Len())
		in.revision = revision
		status.ClearReconciling(obj)
		obj.Status.LastAttemptedRevision = revision
		obj.Status.LastAppliedRevision = revision
		status.MarkReady(obj, meta.ReconciliationSucceededReason, "Applied revision: %s", revision)
		return nil
	}
	obj.Status.LastAttemptedRevision = revision
	status.MarkReconciling(obj, meta.ProgressingReason, "Building manifests for revision %s with a timeout of %s", revision, timeout)
	prog.report(ctx, obj)
	objects, in, err := r.build(ctx, obj, dir, revision, sub)
	if err != nil {
		r.memory.inputs.Delete(obj.UID)
	}
	switch {
	case errors.Is(err, build.ErrPathOutsideRoot):
		pe := r.fail(obj, meta.InvalidPathReason, fmt.Errorf("spec.path: %w", err))
		status.MarkStalled(obj, meta.InvalidPathReason, "%s", pe.err)
		pe.stalled = true
		return pe
	case errors.Is(err, build.ErrPathNotFound):
		return r.fail(obj, meta.ArtifactFailedReason, fmt.Errorf("%w in revision %s", err, revision))
	case err != nil:
		return r.fail(obj, meta.BuildFailedReason, fmt.Errorf("build of revision %s failed: %w", revision, err))
	}

	// A path that suddenly builds nothing must not wipe what it applied before.
	if pe := r.refuseEmptyBuild(obj, objects, revision); pe != nil {
		return pe
	}

	// No message of the apply, the prune or the health checks may quote a
	// value of a Secret being applied: the API server's refusals may.
	secrets := secretValues(objects)

	// Apply in stages; drift is corrected here, since every object is compared with the cluster.
	status.MarkReconciling(obj, meta.ProgressingReason, "Detecting drift for revision %s with a timeout of %s", revision, timeout)
	prog.report(ctx, obj)
	kube, _, err := r.targetClient(ctx, obj) // spec.kubeConfig, spec.serviceAccountName
	if err != nil {
		return r.fail(obj, meta.ReconciliationFailedReason, err)
	}
	m := apply.NewManager(kube, Owner(obj))
	cs, err := m.Apply(ctx, objects, ApplyOptions(obj, timeout))
	if msg := changeSetMessage(cs, false); msg != "" {
		prog.quiet = false
		r.normal(obj, revision, "Progressing", msg)
	}
	if err != nil {
		return r.fail(obj, meta.ReconciliationFailedReason, maskSecrets(secrets, fmt.Errorf("apply of revision %s failed%s: %w", revision, r.actingAs(obj), err)))
	}

	// Record the inventory, then prune what the revision no longer declares.
	oldInventory := obj.Status.Inventory
	newInventory := apply.Inventory(cs)
	obj.Status.Inventory = newInventory
	if obj.Spec.Prune {
		stale, err := apply.Stale(oldInventory, newInventory)
		if err != nil {
			return r.fail(obj, meta.PruneFailedReason, fmt.Errorf("finding objects to prune: %w", err))
		}
		pruned, err := m.Prune(ctx, stale)
		if msg := changeSetMessage(pruned, true); msg != "" {
			r.normal(obj, revision, "Progressing", msg)
		}
		if err != nil {
			return r.fail(obj, meta.PruneFailedReason, maskSecrets(secrets, fmt.Errorf("prune failed%s: %w", r.actingAs(obj), err)))
		}
	}

	// Wait for the applied objects (spec.wait) or spec.healthChecks to become ready.
	if pe := r.checkHealth(ctx, obj, m, objects, cs, revision, in); pe != nil {
		return pe
	}

	obj.Status.LastAppliedRevision = revision
	status.MarkReady(obj, meta.ReconciliationSucceededReason, "Applied revision: %s", revision)
	r.memory.inputs.Store(obj.UID, in)
	return nil
}

// getSource returns the source the Kustomization references.
func (r *Reconciler) getSource(ctx context.Context, obj *kustomizev1.Kustomization) (sourcev1.Source, error) {
	ns := obj.Spec.SourceRef.Namespace
	if ns == "" {
		ns = obj.Namespace
	}
	return source.Get(ctx, r.Client, obj.Spec.SourceRef.Kind, types.NamespacedName{Namespace: ns, Name: obj.Spec.SourceRef.Name})
}

// sourceString names the source as Kind/namespace/name.
func sourceString(obj *kustomizev1.Kustomization) string {
	ns := obj.Spec.SourceRef.Namespace
	if ns == "" {
		ns = obj.Namespace
	}
	return fmt.Sprintf("%s/%s/%s", obj.Spec.SourceRef.Kind, ns, obj.Spec.SourceRef.Name)
}

// waitSafetyMargin is added to the time left to a health check going on
// off the workers for the requeue that backs up its own enqueue.
const waitSafetyMargin = 5 * time.Second

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

// normal records an event about obj (severity info) with the revision it
// is about, as Flux does.
func (r *Reconciler) normal(obj *kustomizev1.Kustomization, revision, reason, msg string) {
	r.Events.Normal(obj, reason, msg, map[string]string{events.MetaRevision: revision})
}

// warning records a failure of obj (severity error) with its revision.
func (r *Reconciler) warning(obj *kustomizev1.Kustomization, revision, reason, msg string) {
	r.Events.Warning(obj, reason, msg, map[string]string{events.MetaRevision: revision})
}

// ApplyOptions are the options obj applies with, and `ferry diff` dry-runs
// with (a zero timeout there).
func ApplyOptions(obj *kustomizev1.Kustomization, timeout time.Duration) apply.Options {
	return apply.Options{Force: obj.Spec.Force, WaitTimeout: timeout, DriftIgnoreRules: DriftIgnoreRules(&obj.Spec)}
}
