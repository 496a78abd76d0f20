package gitrepository

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/events"
	"github.com/ferrycd/ferry/internal/git"
	"github.com/ferrycd/ferry/internal/source"
	"github.com/ferrycd/ferry/internal/status"
)

// failure is a reconcile failure with the reasons to report it under.
type failure = source.Failure

// reconcile runs the phases: resolve the spec, fetch, archive and store.
// Its error is the outcome (see internal/reconcile).
func (r *Reconciler) reconcile(ctx context.Context, obj *sourcev1.GitRepository, patcher *status.Patcher) error {
	log := ctrl.LoggerFrom(ctx)
	old := obj.DeepCopy()
	wasFailing := source.Begin(obj, obj.Status.ObservedGeneration)
	source.KeepStored(obj, r.Storage, &obj.Status.Artifact, nil)

	// Resolve the spec into clone options.
	opts, f := CloneOptions(ctx, r.Client, obj)
	if f != nil {
		return r.fail(obj, nil, f)
	}
	includes, f := r.resolveIncludes(ctx, obj)
	if f != nil {
		return r.fail(obj, nil, f)
	}

	// Ask the remote for the head of the reference; skip the clone when the
	// stored artifact already has it.
	lsCtx, cancel := context.WithTimeout(ctx, obj.GetTimeout())
	revision, err := git.RemoteRevision(lsCtx, opts)
	err = timedOut(err, lsCtx, obj.GetTimeout())
	cancel()
	if err != nil {
		return r.fail(obj, opts.Auth, gitFailure(err, obj))
	}
	if obj.Status.Artifact.HasRevision(revision) && obj.Generation == obj.Status.ObservedGeneration && !contentChanged(obj, includes) && !checkoutChanged(obj) {
		log.V(1).Info("artifact up-to-date with remote revision", "revision", revision)
		r.succeed(obj, old, wasFailing, "")
		return nil
	}

	// Fetch: clone the reference into a temporary directory. As Flux, a
	// stored artifact of another revision is marked outdated until the
	// new one is stored.
	if a := obj.Status.Artifact; a != nil && !a.HasRevision(revision) {
		status.MarkTrue(obj, meta.ArtifactOutdatedCondition, NewRevisionReason, "new upstream revision '%s'", revision)
	}
	status.MarkReconciling(obj, meta.ProgressingReason, "building artifact: new upstream revision '%s'", revision)
	if err := patcher.Patch(ctx, obj); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", fmt.Sprintf("gitrepository-%s-%s-", obj.Namespace, obj.Name))
	if err != nil {
		return r.fail(obj, nil, &failure{CondType: meta.StorageOperationFailedCondition,
			Reason: meta.DirCreationFailedReason, Err: fmt.Errorf("failed to create temporary working directory: %w", err)})
	}
	defer func() {
		if err := os.RemoveAll(tmp); err != nil {
			log.Error(err, "failed to remove temporary working directory")
		}
	}()
	cloneCtx, cancel := context.WithTimeout(ctx, obj.GetTimeout())
	stopWatch := r.watchCheckout(cancel, tmp)
	commit, err := git.Clone(cloneCtx, tmp, opts)
	err = timedOut(err, cloneCtx, obj.GetTimeout())
	cancel()
	if f := stopWatch(); f != nil {
		return r.fail(obj, nil, f)
	}
	if err != nil {
		return r.fail(obj, opts.Auth, gitFailure(err, obj))
	}
	status.Delete(obj, meta.FetchFailedCondition)

	// Verify the signatures spec.verify asks for: nothing unverified is
	// archived, the previous artifact stays.
	if f := r.verifySource(ctx, obj, tmp, commit); f != nil {
		return r.fail(obj, opts.Auth, f)
	}

	// Include, check the limits, and archive the checkout into the
	// storage without what spec.ignore and .sourceignore exclude.
	archiveOpts, f := r.prepareContent(ctx, obj, includes, tmp)
	if f != nil {
		return r.fail(obj, opts.Auth, f)
	}
	a, err := r.Storage.Archive(sourcev1.GitRepositoryKind, obj.Namespace, obj.Name, commit.Revision(), tmp, archiveOpts...)
	if err != nil {
		return r.fail(obj, opts.Auth, r.archiveFailure(err))
	}

	// Store: record the artifact and collect older ones.
	obj.Status.Artifact = a
	recordContent(obj, includes)
	recordCheckout(obj)
	if err := r.Storage.GC(sourcev1.GitRepositoryKind, obj.Namespace, obj.Name, r.retention()); err != nil {
		log.Error(err, "garbage collection of artifacts failed")
	}
	r.succeed(obj, old, wasFailing, firstLine(commit.Message))
	log.Info("stored artifact", "revision", a.Revision, "digest", a.Digest)
	return nil
}

// succeed marks obj Ready for its artifact and emits the event Flux emits: a
// NewArtifact when the digest changed, a Succeeded when recovering from a
// failure. commitSubject is the first line of the commit message, or "" when
// no clone happened.
func (r *Reconciler) succeed(obj, old *sourcev1.GitRepository, wasFailing bool, commitSubject string) {
	a := obj.Status.Artifact
	msg := fmt.Sprintf("stored artifact for revision '%s'", a.Revision)
	status.Delete(obj, meta.FetchFailedCondition)
	status.Delete(obj, meta.StorageOperationFailedCondition)
	status.Delete(obj, meta.ArtifactOutdatedCondition)
	status.MarkTrue(obj, meta.ArtifactInStorageCondition, meta.SucceededReason, "%s", msg)
	status.MarkReady(obj, meta.SucceededReason, "%s", msg)
	obj.Status.ObservedGeneration = obj.Generation

	eventMsg := fmt.Sprintf("stored artifact for commit '%s'", commitSubject)
	if commitSubject == "" {
		eventMsg = fmt.Sprintf("stored artifact for commit '%s'", a.Revision)
	}
	metadata := map[string]string{events.MetaRevision: a.Revision, events.MetaDigest: a.Digest}
	switch {
	case !old.Status.Artifact.HasDigest(a.Digest):
		r.Events.Normal(obj, "NewArtifact", eventMsg, metadata)
	case wasFailing:
		r.Events.Normal(obj, meta.SucceededReason, eventMsg, metadata)
	}
}

// fail records f on obj (see source.Fail); auth, when set, scrubs its
// secret values from the message.
func (r *Reconciler) fail(obj *sourcev1.GitRepository, auth *git.Auth, f *failure) error {
	return source.Fail(obj, r.Events, f, auth.Redact)
}

// gitFailure classifies an error of the git package; an authentication
// failure says where the rejected (or missing) credentials come from.
func gitFailure(err error, obj *sourcev1.GitRepository) *failure {
	f := &failure{CondType: meta.FetchFailedCondition, Reason: meta.GitOperationFailedReason,
		Err: fmt.Errorf("failed to checkout and determine revision: %w", err)}
	switch {
	case errors.Is(err, git.ErrInvalidURL):
		f.Reason, f.Stalled, f.Err = meta.URLInvalidReason, true, err
	case errors.Is(err, git.ErrInvalidReference):
		f.Stalled = true
	case errors.Is(err, git.ErrInvalidAuth):
		// Without a secretRef only a spec change can help.
		f.Reason, f.Stalled = meta.AuthenticationFailedReason, obj.Spec.SecretRef == nil
	case errors.Is(err, git.ErrAuthenticationFailed):
		f.Reason = meta.AuthenticationFailedReason
		var hint string
		switch {
		case obj.Spec.SecretRef != nil:
			hint = fmt.Sprintf("the remote rejected the credentials of secret '%s/%s'", obj.Namespace, obj.Spec.SecretRef.Name)
		case hasUserinfo(obj.Spec.URL):
			hint = "the remote rejected the credentials in spec.url"
		default:
			hint = "the remote requires credentials: set spec.secretRef to a secret with 'username' and 'password'"
		}
		f.Err = fmt.Errorf("failed to checkout and determine revision: %w: %s", err, hint)
	}
	return f
}

// timedOut names the limit a git operation whose context opCtx ran out hit,
// so the message says which setting bounds it.
func timedOut(err error, opCtx context.Context, timeout time.Duration) error {
	if err == nil || !errors.Is(opCtx.Err(), context.DeadlineExceeded) {
		return err
	}
	return fmt.Errorf("%w (spec.timeout is %s)", err, timeout)
}

// hasUserinfo reports whether the URL carries a user name or password.
func hasUserinfo(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && u.User != nil
}

// CloneOptions turns the spec of obj into git clone options, reading its
// secretRef and proxySecretRef with c. The ImageUpdateAutomation
// controller clones its GitRepository with them too.
func CloneOptions(ctx context.Context, c client.Reader, obj *sourcev1.GitRepository) (git.CloneOptions, *source.Failure) {
	opts := git.CloneOptions{URL: obj.Spec.URL}
	if err := git.ValidateURL(obj.Spec.URL); err != nil {
		return opts, gitFailure(err, obj)
	}
	if ref := obj.Spec.Reference; ref != nil {
		// The git package applies Flux's precedence:
		// commit > name > semver > tag > branch.
		opts.Branch, opts.Tag, opts.SemVer, opts.RefName, opts.Commit = ref.Branch, ref.Tag, ref.SemVer, ref.Name, ref.Commit
	}
	opts.SparseCheckout, opts.RecurseSubmodules = obj.Spec.SparseCheckout, obj.Spec.RecurseSubmodules
	if f := providerFailure(obj); f != nil {
		return opts, f
	}
	if obj.Spec.SecretRef != nil {
		secret := &corev1.Secret{}
		key := types.NamespacedName{Namespace: obj.Namespace, Name: obj.Spec.SecretRef.Name}
		if err := c.Get(ctx, key, secret); err != nil {
			return opts, &failure{CondType: meta.FetchFailedCondition, Reason: meta.AuthenticationFailedReason,
				Err: fmt.Errorf("failed to get secret '%s': %w", key, err)}
		}
		auth, err := git.AuthFromSecret(secret)
		if err != nil {
			return opts, &failure{CondType: meta.FetchFailedCondition, Reason: meta.AuthenticationFailedReason,
				Err: fmt.Errorf("failed to configure authentication options: %w", err)}
		}
		opts.Auth = auth
	}
	proxy, f := proxy(ctx, c, obj)
	if f != nil {
		return opts, f
	}
	opts.Proxy = proxy
	return opts, nil
}

func (r *Reconciler) retention() int {
	if r.ArtifactRetention > 0 {
		return r.ArtifactRetention
	}
	return DefaultArtifactRetention
}

// firstLine returns the subject line of a commit message.
func firstLine(msg string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(msg), "\n")
	return strings.TrimSpace(line)
}
