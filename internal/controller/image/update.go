package image

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"text/template"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	imagev1 "github.com/ferrycd/ferry/api/image/v1"
	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/acl"
	"github.com/ferrycd/ferry/internal/controller/gitrepository"
	"github.com/ferrycd/ferry/internal/events"
	"github.com/ferrycd/ferry/internal/git"
	"github.com/ferrycd/ferry/internal/image/setters"
	"github.com/ferrycd/ferry/internal/reconcile"
	"github.com/ferrycd/ferry/internal/source"
	"github.com/ferrycd/ferry/internal/status"
)

// AutomationControllerName names the ImageUpdateAutomation controller in
// logs, metrics and as the source of events, as Flux's.
const AutomationControllerName = "image-automation-controller"

// DefaultMessageTemplate is Flux's commit message when
// spec.git.commit.messageTemplate is empty.
const DefaultMessageTemplate = "Update from image update automation"

// pushAttempts is how many fresh checkouts an automation tries when the
// remote branch moves between its checkout and its push.
const pushAttempts = 3

// UpdateReconciler runs ImageUpdateAutomations: it writes the latest
// images of the namespace's ImagePolicies into the markers of a checkout
// of the GitRepository, commits what changed and pushes it, never by
// force.
type UpdateReconciler struct {
	client.Client
	// Events records the events about automations; nil records none.
	Events *events.Recorder
	// TempDir holds the checkouts; empty means the system's.
	TempDir string
	// NoCrossNamespaceRefs refuses a GitRepository in another namespace.
	NoCrossNamespaceRefs bool
	// DependencyRequeueInterval is how long an automation waits for a
	// missing GitRepository; zero means DefaultDependencyRequeue.
	DependencyRequeueInterval time.Duration
	// IntervalJitterPercentage spreads runs over spec.interval ± this
	// percentage; zero means reconcile.DefaultJitterPercentage.
	IntervalJitterPercentage int
}

// SetupWithManager registers the reconciler: an automation runs when its
// spec changes, on request, every spec.interval, and as soon as an
// ImagePolicy of its namespace chooses another image.
func (r *UpdateReconciler) SetupWithManager(_ context.Context, mgr ctrl.Manager, opts Options) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&imagev1.ImageUpdateAutomation{}, builder.WithPredicates(
			predicate.Or(predicate.GenerationChangedPredicate{}, reconcile.ReconcileRequested{}),
		)).
		Watches(&imagev1.ImagePolicy{}, handler.EnqueueRequestsFromMapFunc(r.automationsOf),
			builder.WithPredicates(latestChanged{})).
		Named("imageupdateautomation").
		WithOptions(reconcile.ControllerOptions(opts.MaxConcurrentReconciles)).
		Complete(r)
}

// latestChanged passes the ImagePolicy updates that choose another image.
type latestChanged struct{ predicate.Funcs }

func (latestChanged) Update(e event.UpdateEvent) bool {
	o, ok1 := e.ObjectOld.(*imagev1.ImagePolicy)
	n, ok2 := e.ObjectNew.(*imagev1.ImagePolicy)
	return ok1 && ok2 && o.Status.LatestRef.String() != n.Status.LatestRef.String()
}

func (r *UpdateReconciler) automationsOf(ctx context.Context, o client.Object) []ctrl.Request {
	list := &imagev1.ImageUpdateAutomationList{}
	if err := r.List(ctx, list, client.InNamespace(o.GetNamespace())); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "listing the ImageUpdateAutomations of a namespace", "namespace", o.GetNamespace())
		return nil
	}
	var reqs []ctrl.Request
	for i := range list.Items {
		a := &list.Items[i]
		if sel, err := policySelector(a); err == nil && sel.Matches(labels.Set(o.GetLabels())) {
			reqs = append(reqs, ctrl.Request{NamespacedName: client.ObjectKeyFromObject(a)})
		}
	}
	return reqs
}

// Reconcile runs one automation on the shared skeleton.
func (r *UpdateReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	s := &reconcile.Skeleton[*imagev1.ImageUpdateAutomation]{
		Client:           r.Client,
		Kind:             imagev1.ImageUpdateAutomationKind,
		New:              func() *imagev1.ImageUpdateAutomation { return &imagev1.ImageUpdateAutomation{} },
		Phases:           r.run,
		JitterPercentage: r.IntervalJitterPercentage,
	}
	return s.Reconcile(ctx, req)
}

func policySelector(obj *imagev1.ImageUpdateAutomation) (labels.Selector, error) {
	if obj.Spec.PolicySelector == nil {
		return labels.Everything(), nil
	}
	return metav1.LabelSelectorAsSelector(obj.Spec.PolicySelector)
}

// run is one automation run: check the spec, read the policies, then
// check out, update, commit and push, from a fresh checkout again when
// the remote branch moved meanwhile.
func (r *UpdateReconciler) run(ctx context.Context, obj *imagev1.ImageUpdateAutomation, _ *status.Patcher) error {
	log := ctrl.LoggerFrom(ctx)
	source.Begin(obj, obj.Status.ObservedGeneration)
	fail := func(f source.Failure) error { return source.Fail(obj, r.Events, &f, nil) }
	stalled := func(reason string, err error) error {
		return fail(source.Failure{Reason: reason, Stalled: true, Err: err})
	}

	spec := obj.Spec
	if spec.GitSpec == nil {
		return stalled(imagev1.InvalidSourceConfigReason, errors.New("spec.git is required: it says how to commit (author) and where to push"))
	}
	if u := spec.Update; u != nil && u.Strategy != "" && u.Strategy != imagev1.UpdateStrategySetters {
		return stalled(imagev1.InvalidUpdateStrategyReason, fmt.Errorf("update strategy '%s' is not supported: use '%s'", u.Strategy, imagev1.UpdateStrategySetters))
	}
	if k := spec.SourceRef.Kind; k != "" && k != sourcev1.GitRepositoryKind {
		return stalled(imagev1.InvalidSourceConfigReason, fmt.Errorf("source kind '%s' is not supported: spec.sourceRef must name a GitRepository", k))
	}
	tmpl, err := parseTemplate(spec.GitSpec.Commit.MessageTemplate)
	if err != nil {
		return stalled(imagev1.InvalidSourceConfigReason, err)
	}
	if _, err := policySelector(obj); err != nil {
		return stalled(imagev1.InvalidPolicySelectorReason, fmt.Errorf("invalid spec.policySelector: %w", err))
	}

	srcKey := types.NamespacedName{Namespace: spec.SourceRef.Namespace, Name: spec.SourceRef.Name}
	if srcKey.Namespace == "" {
		srcKey.Namespace = obj.Namespace
	}
	if r.NoCrossNamespaceRefs {
		if err := acl.Check(obj.Namespace, acl.Reference{Kind: sourcev1.GitRepositoryKind, Namespace: srcKey.Namespace, Name: srcKey.Name}); err != nil {
			return stalled(acl.AccessDeniedReason, err)
		}
	}
	repo := &sourcev1.GitRepository{}
	if err := r.Get(ctx, srcKey, repo); err != nil {
		if apierrors.IsNotFound(err) {
			return fail(source.Failure{Reason: imagev1.GitRepositoryNotFoundReason, Waiting: r.dependencyRequeue(),
				Err: fmt.Errorf("referenced GitRepository '%s' does not exist", srcKey)})
		}
		return err
	}
	cloneOpts, f := gitrepository.CloneOptions(ctx, r.Client, repo)
	if f != nil {
		f.CondType = ""
		return fail(*f)
	}
	if c := spec.GitSpec.Checkout; c != nil {
		ref := c.Reference
		cloneOpts.Branch, cloneOpts.Tag, cloneOpts.SemVer, cloneOpts.RefName, cloneOpts.Commit = ref.Branch, ref.Tag, ref.SemVer, ref.Name, ref.Commit
	}
	// The automation edits its own checkout: the GitRepository's sparse
	// checkout and submodules are what it serves, not what is updated.
	cloneOpts.SparseCheckout, cloneOpts.RecurseSubmodules = nil, false
	var signKey *openpgp.Entity
	if sk := spec.GitSpec.Commit.SigningKey; sk != nil {
		secret := &corev1.Secret{}
		if err := r.Get(ctx, types.NamespacedName{Namespace: obj.Namespace, Name: sk.SecretRef.Name}, secret); err != nil {
			return fail(source.Failure{Reason: imagev1.InvalidSourceConfigReason, Err: fmt.Errorf("failed to get the signing key secret '%s/%s': %w", obj.Namespace, sk.SecretRef.Name, err)})
		}
		if signKey, err = git.SigningKeyFromSecret(secret.Data); err != nil {
			return stalled(imagev1.InvalidSourceConfigReason, fmt.Errorf("signing key secret '%s/%s': %w", obj.Namespace, sk.SecretRef.Name, err))
		}
	}

	policies, observed, err := Policies(ctx, r.Client, obj)
	if err != nil {
		return err
	}

	pushBranch := ""
	if p := spec.GitSpec.Push; p != nil {
		pushBranch = p.Branch
	}
	var out *pushed
	for attempt := 1; ; attempt++ {
		// Each attempt's clone and push are bounded by the GitRepository's
		// spec.timeout, as its fetches are.
		timeout, cancel := context.WithTimeout(ctx, repo.GetTimeout())
		out, err = r.attempt(timeout, obj, cloneOpts, pushBranch, policies, tmpl, signKey)
		cancel()
		if err == nil || !errors.Is(err, git.ErrRemoteMoved) || attempt == pushAttempts {
			break
		}
		log.Info("the remote branch moved during the run: retrying from a fresh checkout", "attempt", attempt)
	}
	if err != nil {
		var uf *updateFailure
		if errors.As(err, &uf) {
			return fail(source.Failure{Reason: uf.reason, Stalled: uf.stalled, Err: uf.err})
		}
		return fail(source.Failure{Reason: imagev1.GitOperationFailedReason, Err: err})
	}

	now := metav1.Now()
	obj.Status.LastAutomationRunTime = &now
	obj.Status.ObservedPolicies = observed
	obj.Status.ObservedSourceRevision = out.from.Revision()
	if out.commit == "" {
		status.MarkReady(obj, meta.SucceededReason, "repository up-to-date")
		return nil
	}
	obj.Status.LastPushCommit = out.commit
	obj.Status.LastPushTime = &now
	msg := fmt.Sprintf("pushed commit '%s' to branch '%s'", shortHash(out.commit), out.branch)
	status.MarkReady(obj, meta.SucceededReason, "%s", msg)
	r.Events.Normal(obj, meta.SucceededReason, msg+"\n"+out.message, map[string]string{events.MetaRevision: git.Revision(out.branch, out.commit)})
	log.Info("pushed", "commit", out.commit, "branch", out.branch, "files", out.files)

	// The GitRepository tracking the branch learns of the commit now
	// rather than at its next interval.
	if repo.Spec.Reference != nil && repo.Spec.Reference.Branch == out.branch || repo.Spec.Reference == nil && out.branch == "master" {
		r.requestFetch(ctx, repo)
	}
	return nil
}

func (r *UpdateReconciler) dependencyRequeue() time.Duration {
	if r.DependencyRequeueInterval > 0 {
		return r.DependencyRequeueInterval
	}
	return DefaultDependencyRequeue
}

// Policies returns the latest image of each Ready ImagePolicy of obj's
// namespace that spec.policySelector selects, by the "namespace:name" the
// markers name them with, and as status.observedPolicies records them.
// `ferry diff image update` reads them the same way.
func Policies(ctx context.Context, c client.Reader, obj *imagev1.ImageUpdateAutomation) (map[string]setters.Ref, imagev1.ObservedPolicies, error) {
	sel, err := policySelector(obj)
	if err != nil {
		return nil, nil, fmt.Errorf("invalid spec.policySelector: %w", err)
	}
	list := &imagev1.ImagePolicyList{}
	if err := c.List(ctx, list, client.InNamespace(obj.Namespace), client.MatchingLabelsSelector{Selector: sel}); err != nil {
		return nil, nil, err
	}
	refs := map[string]setters.Ref{}
	observed := imagev1.ObservedPolicies{}
	for _, p := range list.Items {
		l := p.Status.LatestRef
		if l == nil || !status.IsReady(&p) {
			continue
		}
		refs[p.Namespace+":"+p.Name] = setters.Ref{Name: l.Name, Tag: l.Tag, Digest: l.Digest}
		observed[p.Name] = *l
	}
	return refs, observed, nil
}

// pushed is the outcome of one attempt: the commit pushed ("" when
// nothing changed), from which checkout, to which branch.
type pushed struct {
	from    *git.Commit
	commit  string
	branch  string
	message string
	files   []string
}

// updateFailure is a failure of an attempt that is not Git's.
type updateFailure struct {
	reason  string
	stalled bool
	err     error
}

func (f *updateFailure) Error() string { return f.err.Error() }
func (f *updateFailure) Unwrap() error { return f.err }

// attempt checks out, updates the markers, commits and pushes once.
func (r *UpdateReconciler) attempt(ctx context.Context, obj *imagev1.ImageUpdateAutomation, cloneOpts git.CloneOptions, pushBranch string,
	policies map[string]setters.Ref, tmpl *template.Template, signKey *openpgp.Entity) (*pushed, error) {
	dir, err := os.MkdirTemp(r.TempDir, fmt.Sprintf("imageupdate-%s-%s-", obj.Namespace, obj.Name))
	if err != nil {
		return nil, fmt.Errorf("failed to create temporary working directory: %w", err)
	}
	defer os.RemoveAll(dir)

	ws, from, err := git.CheckoutForUpdate(ctx, dir, cloneOpts, pushBranch)
	if err != nil {
		return nil, err
	}
	out := &pushed{from: from, branch: ws.Branch()}
	result, err := setters.Apply(ws.Dir, obj.GetPath(), policies, setters.Options{})
	if err != nil {
		return nil, &updateFailure{reason: imagev1.UpdateFailedReason, err: fmt.Errorf("failed to update the markers under '%s': %w", pathOrRoot(obj.GetPath()), err)}
	}
	files := result.Files()
	if len(files) == 0 {
		return out, nil
	}
	msg, err := commitMessage(tmpl, obj, result, policies)
	if err != nil {
		return nil, &updateFailure{reason: imagev1.InvalidSourceConfigReason, stalled: true, err: err}
	}
	author := obj.Spec.GitSpec.Commit.Author
	hash, err := ws.Commit(git.CommitRequest{
		Files:   files,
		Author:  git.Signature{Name: author.Name, Email: author.Email, When: time.Now()},
		Message: msg,
		SignKey: signKey,
	})
	if errors.Is(err, git.ErrNothingToCommit) {
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	p := obj.Spec.GitSpec.Push
	refspec, options := "", map[string]string(nil)
	if p != nil {
		refspec, options = p.Refspec, p.Options
	}
	if err := ws.Push(ctx, refspec, options); err != nil {
		return nil, err
	}
	out.commit, out.message, out.files = hash, msg, files
	return out, nil
}

// requestFetch asks the GitRepository to fetch now, as `flux reconcile
// source git` does.
func (r *UpdateReconciler) requestFetch(ctx context.Context, repo *sourcev1.GitRepository) {
	base := repo.DeepCopy()
	if repo.Annotations == nil {
		repo.Annotations = map[string]string{}
	}
	repo.Annotations[meta.ReconcileRequestAnnotation] = time.Now().Format(time.RFC3339Nano)
	if err := r.Patch(ctx, repo, client.MergeFrom(base)); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "asking the GitRepository to fetch the pushed commit", "gitRepository", client.ObjectKeyFromObject(repo).String())
	}
}

func pathOrRoot(p string) string {
	if p == "" {
		return "the repository root"
	}
	return p
}

func shortHash(h string) string {
	if len(h) > 7 {
		return h[:7]
	}
	return h
}

// templateData is what a commit message template sees: Flux's
// .AutomationObject, .Changed and .Values, and v1beta1's .Updated (which
// Flux removed in v1; ferry keeps it so the seeds' templates work).
type templateData struct {
	AutomationObject types.NamespacedName
	Changed          setters.Result
	Values           map[string]string
	Updated          updated
}

// updated is v1beta1's .Updated: the images written, by file and object.
type updated struct {
	Files   map[string]updatedFile
	images  []imageRef
	objects map[setters.ObjectIdentifier][]imageRef
}

// Images returns every image written, once each.
func (u updated) Images() []imageRef { return u.images }

// Objects returns the images written per object.
func (u updated) Objects() map[setters.ObjectIdentifier][]imageRef { return u.objects }

type updatedFile struct {
	Objects map[setters.ObjectIdentifier][]imageRef
}

// imageRef is one image of .Updated: printed as the full reference.
type imageRef struct{ setters.Ref }

func (i imageRef) String() string     { return i.Ref.String() }
func (i imageRef) Repository() string { return i.Name }
func (i imageRef) Identifier() string { return i.Tag }

func parseTemplate(text string) (*template.Template, error) {
	if text == "" {
		text = DefaultMessageTemplate
	}
	t, err := template.New("commit message").Option("missingkey=error").Parse(text)
	if err != nil {
		return nil, fmt.Errorf("invalid spec.git.commit.messageTemplate: %w", err)
	}
	return t, nil
}

// commitMessage renders the template for result.
func commitMessage(t *template.Template, obj *imagev1.ImageUpdateAutomation, result setters.Result, policies map[string]setters.Ref) (string, error) {
	data := templateData{
		AutomationObject: client.ObjectKeyFromObject(obj),
		Changed:          result,
		Values:           obj.Spec.GitSpec.Commit.MessageTemplateValues,
		Updated:          updatedOf(result, policies),
	}
	if data.Values == nil {
		data.Values = map[string]string{}
	}
	var b bytes.Buffer
	if err := t.Execute(&b, data); err != nil {
		return "", fmt.Errorf("spec.git.commit.messageTemplate failed: %w", err)
	}
	msg := strings.TrimSpace(b.String())
	if msg == "" {
		msg = DefaultMessageTemplate
	}
	return msg, nil
}

// updatedOf builds .Updated: each change's policy image.
func updatedOf(result setters.Result, policies map[string]setters.Ref) updated {
	u := updated{Files: map[string]updatedFile{}, objects: map[setters.ObjectIdentifier][]imageRef{}}
	seen := map[string]bool{}
	for _, file := range result.Files() {
		f := updatedFile{Objects: map[setters.ObjectIdentifier][]imageRef{}}
		for id, changes := range result.FileChanges[file] {
			for _, c := range changes {
				ref, ok := policies[setters.PolicyKey(c.Setter)]
				if !ok {
					continue
				}
				img := imageRef{ref}
				if !slices.Contains(f.Objects[id], img) {
					f.Objects[id] = append(f.Objects[id], img)
				}
				if !slices.Contains(u.objects[id], img) {
					u.objects[id] = append(u.objects[id], img)
				}
				if !seen[img.String()] {
					seen[img.String()] = true
					u.images = append(u.images, img)
				}
			}
		}
		u.Files[file] = f
	}
	return u
}
