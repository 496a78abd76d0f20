package helmrelease

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	helmv2 "github.com/ferrycd/ferry/api/helm/v2"
	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/artifact"
	"github.com/ferrycd/ferry/internal/events"
	"github.com/ferrycd/ferry/internal/helm/release"
	"github.com/ferrycd/ferry/internal/impersonation"
	"github.com/ferrycd/ferry/internal/reconcile"
)

// ControllerName names the controller in logs, metrics and events, like
// Flux's.
const ControllerName = "helm-controller"

// WatchLabel on a ConfigMap or Secret, set to WatchEnabled, makes a change
// of it reconcile the HelmReleases whose valuesFrom name it at once.
const (
	WatchLabel   = "reconcile.fluxcd.io/watch"
	WatchEnabled = "Enabled"
)

// Reconciler reconciles HelmRelease objects.
type Reconciler struct {
	client.Client
	// APIReader reads Secrets and ConfigMaps (values, kubeconfigs) straight
	// from the API server, so the manager does not cache every Secret.
	APIReader client.Reader
	// RESTConfig is ferry's own configuration: Helm's clients are made
	// from it (or from an impersonated or remote one).
	RESTConfig *rest.Config
	// Events records the events about HelmReleases; nil records none.
	Events *events.Recorder
	// Fetcher reads the chart artifacts.
	Fetcher *artifact.Fetcher
	// TempDir holds the post-renderers' files; empty is the system's.
	TempDir string
	// DependencyRequeueInterval is how soon a HelmRelease waiting for its
	// chart or a dependency looks again; zero means 30 seconds. A chart or
	// dependency that becomes ready starts it at once.
	DependencyRequeueInterval time.Duration
	// DefaultServiceAccount is impersonated for HelmReleases without
	// spec.serviceAccountName (--default-service-account).
	DefaultServiceAccount string
	// NoCrossNamespaceRefs refuses references to other namespaces.
	NoCrossNamespaceRefs bool
	// IntervalJitterPercentage spreads requeues over spec.interval ± this
	// percentage.
	IntervalJitterPercentage int

	// clusters shares Helm's discovery per cluster identity.
	clusters sync.Map // string → *release.Cluster
	// ociCharts remembers the chart name and version of each
	// OCIRepository's artifact, so an unchanged one is not loaded again.
	ociCharts sync.Map // "<namespace>/<name>" → ociChart
	// locks serialises the actions on one release (storage namespace and
	// release name): two HelmReleases may name the same release.
	locks keyedMutex
	// inflight cancels the wait of a release action when a new revision
	// of the HelmRelease or its chart arrives.
	inflight inflight
}

// Options tunes the controller SetupWithManager registers.
type Options struct {
	// MaxConcurrentReconciles is how many HelmReleases reconcile at once.
	MaxConcurrentReconciles int
}

// Field index keys.
const (
	// chartIndexKey indexes HelmReleases by the chart source they use,
	// "<Kind>/<namespace>/<name>".
	chartIndexKey = ".metadata.helmChart"
	// valuesIndexKey indexes HelmReleases by their valuesFrom objects,
	// "<Kind>/<namespace>/<name>".
	valuesIndexKey = ".spec.valuesFrom"
	// dependsOnIndexKey indexes HelmReleases by their dependencies,
	// "<Kind>/<namespace>/<name>".
	dependsOnIndexKey = ".spec.dependsOn"
)

// SetupWithManager registers the reconciler with mgr. It reconciles when
// the spec changes, on a reconcile request, on deletion, when its
// HelmChart gets a new artifact or changes readiness, when a dependency
// becomes Ready, when a watched values ConfigMap or Secret changes, and
// every spec.interval.
func (r *Reconciler) SetupWithManager(ctx context.Context, mgr ctrl.Manager, opts Options) error {
	if r.Fetcher == nil {
		return errors.New("helmrelease controller: an artifact fetcher is required")
	}
	release.SetFieldManager()
	idx := mgr.GetFieldIndexer()
	if err := idx.IndexField(ctx, &helmv2.HelmRelease{}, chartIndexKey, indexChart); err != nil {
		return fmt.Errorf("helmrelease controller: indexing charts: %w", err)
	}
	if err := idx.IndexField(ctx, &helmv2.HelmRelease{}, valuesIndexKey, indexValues); err != nil {
		return fmt.Errorf("helmrelease controller: indexing valuesFrom: %w", err)
	}
	if err := idx.IndexField(ctx, &helmv2.HelmRelease{}, dependsOnIndexKey, indexDependsOn); err != nil {
		return fmt.Errorf("helmrelease controller: indexing dependsOn: %w", err)
	}
	watched := predicate.NewPredicateFuncs(func(o client.Object) bool { return o.GetLabels()[WatchLabel] == WatchEnabled })
	return ctrl.NewControllerManagedBy(mgr).
		For(&helmv2.HelmRelease{}, builder.WithPredicates(
			predicate.Or(predicate.GenerationChangedPredicate{}, reconcile.ReconcileRequested{}, reconcile.Deleting{}),
		)).
		Watches(&helmv2.HelmRelease{}, cancelOnNewGeneration{r}).
		Watches(&sourcev1.HelmChart{}, handler.EnqueueRequestsFromMapFunc(r.requestsForChart(sourcev1.HelmChartKind)),
			builder.WithPredicates(predicate.Or(reconcile.ArtifactChanged{}, readyChanged{}))).
		Watches(&sourcev1.OCIRepository{}, handler.EnqueueRequestsFromMapFunc(r.requestsForChart(sourcev1.OCIRepositoryKind)),
			builder.WithPredicates(predicate.Or(reconcile.ArtifactChanged{}, readyChanged{}))).
		Watches(&helmv2.HelmRelease{}, handler.EnqueueRequestsFromMapFunc(r.requestsForDependents(helmv2.HelmReleaseKind)),
			builder.WithPredicates(readyChanged{})).
		Watches(&kustomizev1.Kustomization{}, handler.EnqueueRequestsFromMapFunc(r.requestsForDependents(kustomizev1.KustomizationKind)),
			builder.WithPredicates(readyChanged{})).
		WatchesMetadata(&corev1.ConfigMap{}, handler.EnqueueRequestsFromMapFunc(r.requestsForValues("ConfigMap")),
			builder.WithPredicates(watched)).
		WatchesMetadata(&corev1.Secret{}, handler.EnqueueRequestsFromMapFunc(r.requestsForValues("Secret")),
			builder.WithPredicates(watched)).
		Named("helmrelease").
		WithOptions(reconcile.ControllerOptions(opts.MaxConcurrentReconciles)).
		Complete(r)
}

// Reconcile brings one HelmRelease to its desired state on the shared
// skeleton (internal/reconcile).
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	s := &reconcile.Skeleton[*helmv2.HelmRelease]{
		Client:           r.Client,
		Kind:             helmv2.HelmReleaseKind,
		Finalizer:        helmv2.HelmReleaseFinalizer,
		New:              func() *helmv2.HelmRelease { return &helmv2.HelmRelease{} },
		Phases:           r.reconcile,
		Finalize:         r.finalize,
		JitterPercentage: r.IntervalJitterPercentage,
	}
	return s.Reconcile(ctx, req)
}

func (r *Reconciler) dependencyRequeue() time.Duration {
	if r.DependencyRequeueInterval > 0 {
		return r.DependencyRequeueInterval
	}
	return 30 * time.Second
}

// target is what hr says about where and as whom its release is made.
func target(hr *helmv2.HelmRelease) impersonation.Target {
	return impersonation.Target{Namespace: hr.Namespace, ServiceAccountName: hr.Spec.ServiceAccountName, KubeConfig: hr.Spec.KubeConfig}
}

func (r *Reconciler) impersonator() *impersonation.Impersonator {
	return &impersonation.Impersonator{Client: r.Client, RESTConfig: r.RESTConfig, APIReader: r.APIReader,
		DefaultServiceAccount: r.DefaultServiceAccount}
}

// cluster returns the client of hr's target and the Helm cluster (shared
// discovery and capabilities) of that identity.
func (r *Reconciler) cluster(ctx context.Context, hr *helmv2.HelmRelease) (client.Client, *release.Cluster, error) {
	imp, t := r.impersonator(), target(hr)
	c, cfg, err := imp.ClientFor(ctx, t)
	if err != nil {
		return nil, nil, err
	}
	key := ""
	if sa := imp.ServiceAccountName(t); sa != "" || t.KubeConfig != nil {
		key = fmt.Sprintf("%s/%s/%v", t.Namespace, sa, t.KubeConfig)
	}
	if v, ok := r.clusters.Load(key); ok {
		return c, v.(*release.Cluster), nil
	}
	cl, err := release.NewCluster(cfg)
	if err != nil {
		return nil, nil, err
	}
	v, _ := r.clusters.LoadOrStore(key, cl)
	return c, v.(*release.Cluster), nil
}

// keyedMutex is one mutex per key.
type keyedMutex struct{ m sync.Map }

func (k *keyedMutex) lock(key string) func() {
	v, _ := k.m.LoadOrStore(key, &sync.Mutex{})
	mu := v.(*sync.Mutex)
	mu.Lock()
	return mu.Unlock
}

// inflight holds, for each HelmRelease whose action is running, the
// generation and chart artifact digest it acts for and the cancel function
// of its wait.
type inflight struct {
	mu sync.Mutex
	m  map[types.NamespacedName]*flight
}

type flight struct {
	generation  int64
	chartDigest string
	cancel      context.CancelFunc
}

func (f *inflight) start(ctx context.Context, key types.NamespacedName, generation int64, chartDigest string) (context.Context, func()) {
	ctx, cancel := context.WithCancel(ctx)
	f.mu.Lock()
	if f.m == nil {
		f.m = map[types.NamespacedName]*flight{}
	}
	f.m[key] = &flight{generation: generation, chartDigest: chartDigest, cancel: cancel}
	f.mu.Unlock()
	return ctx, func() {
		f.mu.Lock()
		delete(f.m, key)
		f.mu.Unlock()
		cancel()
	}
}

// cancelNewer stops the wait of key's running action when it acts for an
// older generation than generation, or another chart artifact than
// chartDigest ("" does not compare); the event that started the action
// itself cancels nothing.
func (f *inflight) cancelNewer(key types.NamespacedName, generation int64, chartDigest string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	fl, ok := f.m[key]
	if !ok {
		return false
	}
	if (generation > 0 && generation > fl.generation) || (chartDigest != "" && chartDigest != fl.chartDigest) {
		fl.cancel()
		return true
	}
	return false
}
