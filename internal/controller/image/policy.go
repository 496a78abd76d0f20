package image

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	imagev1 "github.com/ferrycd/ferry/api/image/v1"
	"github.com/ferrycd/ferry/api/meta"
	"github.com/ferrycd/ferry/internal/acl"
	"github.com/ferrycd/ferry/internal/events"
	"github.com/ferrycd/ferry/internal/image/policy"
	"github.com/ferrycd/ferry/internal/image/tagstore"
	"github.com/ferrycd/ferry/internal/oci"
	"github.com/ferrycd/ferry/internal/reconcile"
	"github.com/ferrycd/ferry/internal/source"
	"github.com/ferrycd/ferry/internal/status"
)

// policyRepositoryIndex indexes ImagePolicies by the "namespace/name" of
// their ImageRepository.
const policyRepositoryIndex = ".spec.imageRepositoryRef"

// DefaultDependencyRequeue is how long a policy whose repository has not
// scanned yet waits before it looks again (a scan also wakes it).
const DefaultDependencyRequeue = 30 * time.Second

// PolicyReconciler chooses the latest tag of ImagePolicies from the tags
// their ImageRepository scanned.
type PolicyReconciler struct {
	client.Client
	// Events records the events about ImagePolicies; nil records none.
	Events *events.Recorder
	// Tags are the scanned tags.
	Tags *tagstore.Store
	// Registries are the registry clients, for digests.
	Registries *Registries
	// NoCrossNamespaceRefs refuses an ImageRepository in another
	// namespace, whatever its accessFrom.
	NoCrossNamespaceRefs bool
	// DependencyRequeueInterval is how long a policy waits for its
	// repository's first scan; zero means DefaultDependencyRequeue.
	DependencyRequeueInterval time.Duration
}

// SetupWithManager registers the reconciler: a policy is recomputed when
// its spec changes, on request, and when its ImageRepository scans a new
// tag list or changes readiness.
func (r *PolicyReconciler) SetupWithManager(ctx context.Context, mgr ctrl.Manager, opts Options) error {
	if r.Tags == nil || r.Registries == nil {
		return errors.New("imagepolicy controller: a tag store and registries are required")
	}
	if err := mgr.GetFieldIndexer().IndexField(ctx, &imagev1.ImagePolicy{}, policyRepositoryIndex, func(o client.Object) []string {
		p := o.(*imagev1.ImagePolicy)
		return []string{repositoryKey(p).String()}
	}); err != nil {
		return err
	}
	return ctrl.NewControllerManagedBy(mgr).
		For(&imagev1.ImagePolicy{}, builder.WithPredicates(
			predicate.Or(predicate.GenerationChangedPredicate{}, reconcile.ReconcileRequested{}),
		)).
		Watches(&imagev1.ImageRepository{}, handler.EnqueueRequestsFromMapFunc(r.policiesOf),
			builder.WithPredicates(scanChanged{})).
		Named("imagepolicy").
		WithOptions(reconcile.ControllerOptions(opts.MaxConcurrentReconciles)).
		Complete(r)
}

// scanChanged passes the ImageRepository events that can change a
// policy's choice: a new tag list, a change of readiness, creation.
type scanChanged struct{ predicate.Funcs }

func (scanChanged) Update(e event.UpdateEvent) bool {
	o, ok1 := e.ObjectOld.(*imagev1.ImageRepository)
	n, ok2 := e.ObjectNew.(*imagev1.ImageRepository)
	if !ok1 || !ok2 {
		return false
	}
	revision := func(r *imagev1.ImageRepository) string {
		if r.Status.LastScanResult == nil {
			return ""
		}
		return r.Status.LastScanResult.Revision
	}
	return revision(o) != revision(n) || status.IsReady(o) != status.IsReady(n) ||
		!reflect.DeepEqual(o.Spec.AccessFrom, n.Spec.AccessFrom)
}

func (r *PolicyReconciler) policiesOf(ctx context.Context, o client.Object) []ctrl.Request {
	list := &imagev1.ImagePolicyList{}
	key := client.ObjectKeyFromObject(o).String()
	if err := r.List(ctx, list, client.MatchingFields{policyRepositoryIndex: key}); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "listing the ImagePolicies of an ImageRepository", "imageRepository", key)
		return nil
	}
	reqs := make([]ctrl.Request, len(list.Items))
	for i := range list.Items {
		reqs[i] = ctrl.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])}
	}
	return reqs
}

func repositoryKey(p *imagev1.ImagePolicy) types.NamespacedName {
	ns := p.Spec.ImageRepositoryRef.Namespace
	if ns == "" {
		ns = p.Namespace
	}
	return types.NamespacedName{Namespace: ns, Name: p.Spec.ImageRepositoryRef.Name}
}

// Reconcile computes one ImagePolicy on the shared skeleton.
func (r *PolicyReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	s := &reconcile.Skeleton[*imagev1.ImagePolicy]{
		Client: r.Client,
		Kind:   imagev1.ImagePolicyKind,
		New:    func() *imagev1.ImagePolicy { return &imagev1.ImagePolicy{} },
		Phases: r.choose,
	}
	return s.Reconcile(ctx, req)
}

func (r *PolicyReconciler) dependencyRequeue() time.Duration {
	if r.DependencyRequeueInterval > 0 {
		return r.DependencyRequeueInterval
	}
	return DefaultDependencyRequeue
}

// Selector returns the tag selection of obj's spec.
func Selector(obj *imagev1.ImagePolicy) (*policy.Selector, error) {
	spec := policy.Spec{}
	p := obj.Spec.Policy
	switch {
	case p.SemVer != nil:
		spec.SemVerRange = p.SemVer.Range
	case p.Alphabetical != nil:
		spec.Alphabetical = orDefault(p.Alphabetical.Order, "asc")
	case p.Numerical != nil:
		spec.Numerical = orDefault(p.Numerical.Order, "asc")
	}
	if f := obj.Spec.FilterTags; f != nil {
		spec.FilterPattern, spec.FilterExtract = f.Pattern, f.Extract
	}
	return policy.New(spec)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// choose picks the latest tag and, as digestReflectionPolicy says, its
// digest; the status changes, and an event tells, only when the choice
// does.
func (r *PolicyReconciler) choose(ctx context.Context, obj *imagev1.ImagePolicy, _ *status.Patcher) error {
	source.Begin(obj, obj.Status.ObservedGeneration)
	fail := func(f source.Failure) error { return source.Fail(obj, r.Events, &f, nil) }
	waiting := func(reason string, err error) error {
		return fail(source.Failure{Reason: reason, Err: err, Waiting: r.dependencyRequeue()})
	}

	sel, err := Selector(obj)
	if err != nil {
		return fail(source.Failure{Reason: imagev1.InvalidPolicyReason, Stalled: true, Err: err})
	}
	key := repositoryKey(obj)
	if key.Namespace != obj.Namespace && r.NoCrossNamespaceRefs {
		return fail(source.Failure{Reason: acl.AccessDeniedReason, Stalled: true,
			Err: acl.Check(obj.Namespace, acl.Reference{Kind: imagev1.ImageRepositoryKind, Namespace: key.Namespace, Name: key.Name})})
	}
	repo := &imagev1.ImageRepository{}
	if err := r.Get(ctx, key, repo); err != nil {
		if apierrors.IsNotFound(err) {
			return waiting(imagev1.ImageRepositoryNotFoundReason, fmt.Errorf("referenced ImageRepository '%s' does not exist", key))
		}
		return err
	}
	if err := acl.Allowed(ctx, r.Client, obj.Namespace, imagev1.ImageRepositoryKind, key.Namespace, key.Name, repo.Spec.AccessFrom); err != nil {
		return fail(source.Failure{Reason: imagev1.AccessDeniedReason, Stalled: true, Err: err})
	}
	list, err := r.Tags.Get(key.Namespace, key.Name)
	if err != nil {
		return err
	}
	if list == nil || repo.Status.LastScanResult == nil {
		return waiting(imagev1.DependencyNotReadyReason, fmt.Errorf("ImageRepository '%s' has not scanned its tags yet", key))
	}
	tag, err := sel.Latest(list.Tags)
	if err != nil {
		if errors.Is(err, policy.ErrNoTag) {
			// A new scan may bring a matching tag: the repository's
			// next tag list wakes the policy.
			return fail(source.Failure{Reason: imagev1.NoTagReason, Err: err, Waiting: repo.GetRequeueAfter()})
		}
		return fail(source.Failure{Reason: imagev1.InvalidPolicyReason, Stalled: true, Err: err})
	}

	latest := &imagev1.ImageRef{Name: repo.Spec.Image, Tag: tag}
	if d, err := r.digest(ctx, obj, repo, latest); err != nil {
		return fail(source.Failure{Reason: imagev1.ScanFailedReason, Err: err})
	} else {
		latest.Digest = d
	}
	r.record(obj, latest)
	return nil
}

// digest returns the digest the status records for latest under
// digestReflectionPolicy: none for Never, the known one for IfNotPresent
// when the tag is unchanged, a fresh HEAD of the manifest otherwise.
func (r *PolicyReconciler) digest(ctx context.Context, obj *imagev1.ImagePolicy, repo *imagev1.ImageRepository, latest *imagev1.ImageRef) (string, error) {
	mode := obj.GetDigestReflectionPolicy()
	if mode == imagev1.ReflectNever {
		return "", nil
	}
	if prev := obj.Status.LatestRef; mode == imagev1.ReflectIfNotPresent && prev != nil && prev.Name == latest.Name && prev.Tag == latest.Tag && prev.Digest != "" {
		return prev.Digest, nil
	}
	ref, err := ParseImage(repo.Spec.Image, repo.Spec.Insecure)
	if err != nil {
		return "", err
	}
	c, err := r.Registries.client(ctx, r.Client, repo, ref)
	if err != nil {
		return "", err
	}
	timeout, cancel := context.WithTimeout(ctx, repo.GetTimeout())
	defer cancel()
	resolved, err := c.Resolve(timeout, ref, oci.Ref{Tag: latest.Tag})
	if err != nil {
		return "", fmt.Errorf("failed to read the digest of '%s': %w", latest, err)
	}
	return resolved.Digest.String(), nil
}

// record sets the status for latest: the previous choice is kept in
// observedPreviousRef when it changes, with an event.
func (r *PolicyReconciler) record(obj *imagev1.ImagePolicy, latest *imagev1.ImageRef) {
	prev := obj.Status.LatestRef
	changed := prev == nil || *prev != *latest
	if changed {
		obj.Status.ObservedPreviousRef = prev
		obj.Status.ObservedPreviousImage = obj.Status.LatestImage
		obj.Status.LatestRef = latest
		obj.Status.LatestImage = latest.Name + ":" + latest.Tag
	}
	msg := fmt.Sprintf("Latest image tag for %s resolved to %s", latest.Name, latest.Tag)
	if latest.Digest != "" {
		msg += " with digest " + latest.Digest
	}
	if changed && prev != nil {
		msg = fmt.Sprintf("Latest image tag for %s updated from %s to %s", latest.Name, prev.Tag, latest.Tag)
		if prev.Tag == latest.Tag {
			msg = fmt.Sprintf("Latest image digest for %s:%s updated from %s to %s", latest.Name, latest.Tag, prev.Digest, latest.Digest)
		}
	}
	if changed {
		r.Events.Normal(obj, meta.SucceededReason, msg, map[string]string{events.MetaRevision: latest.String()})
	}
	status.MarkReady(obj, meta.SucceededReason, "Latest image tag for %s resolved to %s", latest.Name, latest.Tag)
}
