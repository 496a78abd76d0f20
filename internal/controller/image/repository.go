package image

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	imagev1 "github.com/ferrycd/ferry/api/image/v1"
	"github.com/ferrycd/ferry/api/meta"
	"github.com/ferrycd/ferry/internal/clientpool"
	"github.com/ferrycd/ferry/internal/events"
	"github.com/ferrycd/ferry/internal/image/tagstore"
	"github.com/ferrycd/ferry/internal/oci"
	"github.com/ferrycd/ferry/internal/reconcile"
	"github.com/ferrycd/ferry/internal/source"
	"github.com/ferrycd/ferry/internal/status"
)

// ReflectorControllerName names the ImageRepository and ImagePolicy
// controllers in logs, metrics and as the source of events, as Flux's.
const ReflectorControllerName = "image-reflector-controller"

// UnsupportedProviderReason is ferry's reason for a spec.provider other
// than generic.
const UnsupportedProviderReason = "UnsupportedProvider"

// latestTagsCount is how many tags status.lastScanResult.latestTags
// samples, as Flux.
const latestTagsCount = 10

// Registries are the registry clients shared by the ImageRepository and
// ImagePolicy controllers, per registry and credentials.
type Registries struct {
	once sync.Once
	pool *clientpool.Pool[*oci.Client]
}

func (r *Registries) get() *clientpool.Pool[*oci.Client] {
	r.once.Do(func() { r.pool = clientpool.New(0, 0, (*oci.Client).Close) })
	return r.pool
}

// client returns the registry client of repo's spec.
func (r *Registries) client(ctx context.Context, c client.Reader, obj *imagev1.ImageRepository, ref name.Repository) (*oci.Client, error) {
	a := oci.Access{
		Namespace:          obj.Namespace,
		Registry:           ref.RegistryStr(),
		ServiceAccountName: obj.Spec.ServiceAccountName,
		Insecure:           obj.Spec.Insecure,
	}
	if s := obj.Spec.SecretRef; s != nil {
		a.SecretRef = s.Name
	}
	if s := obj.Spec.CertSecretRef; s != nil {
		a.CertSecretRef = s.Name
	}
	if s := obj.Spec.ProxySecretRef; s != nil {
		a.ProxySecretRef = s.Name
	}
	return a.Client(ctx, c, r.get())
}

// RepositoryReconciler scans ImageRepositories into Tags.
type RepositoryReconciler struct {
	client.Client
	// Events records the events about ImageRepositories; nil records none.
	Events *events.Recorder
	// Tags keeps the scanned tags; ImagePolicies read them.
	Tags *tagstore.Store
	// Registries are the registry clients, shared with the ImagePolicy
	// controller.
	Registries *Registries
	// IntervalJitterPercentage spreads scans over spec.interval ± this
	// percentage; zero means reconcile.DefaultJitterPercentage.
	IntervalJitterPercentage int
}

// Options tunes the controllers of this package.
type Options struct {
	// MaxConcurrentReconciles is how many objects of a kind reconcile at
	// once; zero means one.
	MaxConcurrentReconciles int
}

// SetupWithManager registers the reconciler with mgr: it scans on a spec
// change, on a reconcile request (a registry webhook's Receiver sets
// one), on deletion and every spec.interval.
func (r *RepositoryReconciler) SetupWithManager(_ context.Context, mgr ctrl.Manager, opts Options) error {
	if r.Tags == nil || r.Registries == nil {
		return errors.New("imagerepository controller: a tag store and registries are required")
	}
	return ctrl.NewControllerManagedBy(mgr).
		For(&imagev1.ImageRepository{}, builder.WithPredicates(
			predicate.Or(predicate.GenerationChangedPredicate{}, reconcile.ReconcileRequested{}, reconcile.Deleting{}),
		)).
		Named("imagerepository").
		WithOptions(reconcile.ControllerOptions(opts.MaxConcurrentReconciles)).
		Complete(r)
}

// Reconcile scans one ImageRepository on the shared skeleton.
func (r *RepositoryReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	s := &reconcile.Skeleton[*imagev1.ImageRepository]{
		Client:    r.Client,
		Kind:      imagev1.ImageRepositoryKind,
		Finalizer: imagev1.ImageFinalizer,
		New:       func() *imagev1.ImageRepository { return &imagev1.ImageRepository{} },
		Phases:    r.scan,
		Finalize: func(_ context.Context, obj *imagev1.ImageRepository) error {
			return r.Tags.Delete(obj.Namespace, obj.Name)
		},
		JitterPercentage: r.IntervalJitterPercentage,
	}
	return s.Reconcile(ctx, req)
}

// ParseImage parses spec.image, an image name without tag or digest.
func ParseImage(image string, insecure bool) (name.Repository, error) {
	var opts []name.Option
	if insecure {
		opts = append(opts, name.Insecure)
	}
	if hasUserinfo(image) {
		// Never repeat the image: it holds a password.
		return name.Repository{}, errors.New("spec.image holds credentials (user:password@ before the registry), which ferry neither uses nor shows: " +
			"remove them, and set spec.secretRef to a Docker config secret (kubectl create secret docker-registry)")
	}
	if strings.Contains(image, "://") {
		return name.Repository{}, fmt.Errorf("spec.image '%s' must be an image name such as 'ghcr.io/acme/web', without a scheme", image)
	}
	if ref, err := name.ParseReference(image, opts...); err == nil {
		if _, isDigest := ref.(name.Digest); isDigest || strings.Contains(strings.TrimPrefix(image, ref.Context().RegistryStr()), ":") {
			return name.Repository{}, fmt.Errorf("spec.image '%s' must not have a tag or digest: the ImageRepository scans every tag; choose one with an ImagePolicy", image)
		}
	}
	repo, err := name.NewRepository(image, opts...)
	if err != nil {
		return name.Repository{}, fmt.Errorf("spec.image '%s' is not an image name: %w", image, err)
	}
	return repo, nil
}

// digestRE is an OCI digest, "algorithm:hex" (at least 32 hex digits).
var digestRE = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9]*(?:[+._-][a-zA-Z][a-zA-Z0-9]*)*:[0-9a-fA-F]{32,}$`)

// hasUserinfo reports whether image carries user information before its
// registry ("user:password@ghcr.io/acme/web", with or without a scheme);
// "web@sha256:..." is a digest, not user information.
func hasUserinfo(image string) bool {
	rest := image
	if _, after, ok := strings.Cut(rest, "://"); ok {
		rest = after
	}
	first, _, slash := strings.Cut(rest, "/")
	at := strings.LastIndexByte(first, '@')
	if at < 0 {
		return false
	}
	return slash || !digestRE.MatchString(first[at+1:])
}

// scan lists the repository's tags, drops the excluded ones and stores
// the rest. The status changes only when the list does.
func (r *RepositoryReconciler) scan(ctx context.Context, obj *imagev1.ImageRepository, _ *status.Patcher) error {
	log := ctrl.LoggerFrom(ctx)
	source.Begin(obj, obj.Status.ObservedGeneration)
	start := time.Now()
	tags, canonical, f := ListTags(ctx, r.Client, r.Registries, obj)
	if canonical != "" {
		obj.Status.CanonicalImageName = canonical
	}
	if f != nil {
		return source.Fail(obj, r.Events, f, nil)
	}
	list, changed, err := r.Tags.Set(obj.Namespace, obj.Name, tags)
	if err != nil {
		return source.Fail(obj, r.Events, &source.Failure{Reason: imagev1.ScanFailedReason, Err: err}, nil)
	}
	log.V(1).Info("scanned", "tags", len(list.Tags), "changed", changed, "took", time.Since(start).String())

	last := obj.Status.LastScanResult
	if changed || last == nil || last.Revision != list.Revision || !slices.Equal(obj.Status.ObservedExclusionList, obj.GetExclusionList()) {
		obj.Status.LastScanResult = &imagev1.ScanResult{
			Revision:   list.Revision,
			TagCount:   len(list.Tags),
			ScanTime:   metav1.Now(),
			LatestTags: latestTags(list.Tags),
		}
		obj.Status.ObservedExclusionList = slices.Clone(obj.GetExclusionList())
		if changed {
			r.Events.Normal(obj, meta.SucceededReason, fmt.Sprintf("successful scan: found %d tags", len(list.Tags)),
				map[string]string{events.MetaRevision: list.Revision})
		}
	}
	status.MarkReady(obj, meta.SucceededReason, "successful scan: found %d tags", len(list.Tags))
	return nil
}

// ListTags lists the tags of obj's image, without the excluded ones, and
// returns its canonical name: what a scan stores. c reads the Secrets and
// ServiceAccount of obj's spec. The CLI's preview lists them the same way.
func ListTags(ctx context.Context, c client.Reader, registries *Registries, obj *imagev1.ImageRepository) (tags []string, canonical string, f *source.Failure) {
	fail := func(reason string, stalled bool, err error) *source.Failure {
		return &source.Failure{Reason: reason, Stalled: stalled, Err: err}
	}
	if p := obj.GetProvider(); p != imagev1.ProviderGeneric {
		return nil, "", fail(UnsupportedProviderReason, true, fmt.Errorf("provider '%s' is not supported by ferry yet: use provider '%s' with spec.secretRef", p, imagev1.ProviderGeneric))
	}
	repo, err := ParseImage(obj.Spec.Image, obj.Spec.Insecure)
	if err != nil {
		return nil, "", fail(imagev1.ImageURLInvalidReason, true, err)
	}
	canonical = repo.Name()
	exclusions, err := compileExclusions(obj.GetExclusionList())
	if err != nil {
		return nil, canonical, fail(imagev1.ScanFailedReason, true, err)
	}
	cl, err := registries.client(ctx, c, obj, repo)
	if err != nil {
		return nil, canonical, fail(meta.AuthenticationFailedReason, false, err)
	}
	timeout, cancel := context.WithTimeout(ctx, obj.GetTimeout())
	defer cancel()
	all, err := cl.Tags(timeout, repo)
	if err != nil {
		reason := imagev1.ScanFailedReason
		if errors.Is(err, oci.ErrAuthentication) {
			reason = meta.AuthenticationFailedReason
			hint := "the registry requires credentials: set spec.secretRef to a Docker config secret (kubectl create secret docker-registry)"
			if obj.Spec.SecretRef != nil || obj.Spec.ServiceAccountName != "" {
				hint = "the registry rejected the credentials of spec.secretRef or spec.serviceAccountName"
			}
			err = fmt.Errorf("%w: %s", err, hint)
		}
		return nil, canonical, fail(reason, errors.Is(err, oci.ErrPlainHTTP), err)
	}
	tags = make([]string, 0, len(all))
	for _, t := range all {
		if !excluded(t, exclusions) {
			tags = append(tags, t)
		}
	}
	return tags, canonical, nil
}

// latestTags samples the first tags in descending order, as Flux's
// lastScanResult.latestTags.
func latestTags(sorted []string) []string {
	n := min(latestTagsCount, len(sorted))
	out := make([]string, n)
	for i := range n {
		out[i] = sorted[len(sorted)-1-i]
	}
	return out
}

func compileExclusions(list []string) ([]*regexp.Regexp, error) {
	out := make([]*regexp.Regexp, 0, len(list))
	for _, e := range list {
		re, err := regexp.Compile(e)
		if err != nil {
			return nil, fmt.Errorf("invalid spec.exclusionList entry '%s': %w", e, err)
		}
		out = append(out, re)
	}
	return out, nil
}

func excluded(tag string, exclusions []*regexp.Regexp) bool {
	for _, re := range exclusions {
		if re.MatchString(tag) {
			return true
		}
	}
	return false
}
