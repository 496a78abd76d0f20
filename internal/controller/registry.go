package controller

import (
	"context"

	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	helmv2 "github.com/ferrycd/ferry/api/helm/v2"
	imagev1 "github.com/ferrycd/ferry/api/image/v1"
	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	notificationv1 "github.com/ferrycd/ferry/api/notification/v1"
	notificationv1beta3 "github.com/ferrycd/ferry/api/notification/v1beta3"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/artifact"
	"github.com/ferrycd/ferry/internal/controller/alert"
	"github.com/ferrycd/ferry/internal/controller/bucket"
	"github.com/ferrycd/ferry/internal/controller/gitrepository"
	"github.com/ferrycd/ferry/internal/controller/helmchart"
	"github.com/ferrycd/ferry/internal/controller/helmrelease"
	"github.com/ferrycd/ferry/internal/controller/helmrepository"
	"github.com/ferrycd/ferry/internal/controller/image"
	"github.com/ferrycd/ferry/internal/controller/kustomization"
	"github.com/ferrycd/ferry/internal/controller/ocirepository"
	"github.com/ferrycd/ferry/internal/controller/provider"
	"github.com/ferrycd/ferry/internal/controller/receiver"
	"github.com/ferrycd/ferry/internal/events"
	"github.com/ferrycd/ferry/internal/helm/repository"
	"github.com/ferrycd/ferry/internal/image/tagstore"
	"github.com/ferrycd/ferry/internal/notification"
)

// setupFunc registers one controller with mgr. opts has its defaults filled.
type setupFunc func(ctx context.Context, mgr manager.Manager, deps deps, opts Options) error

// deps is what the manager shares between its controllers.
type deps struct {
	// storage is the process's artifact storage: source controllers write
	// to it, consumers read from it through an artifact.Fetcher.
	storage *artifact.Storage
	// events returns the event recorder of the controller named name,
	// which writes Kubernetes Events and publishes on the manager's bus.
	events func(name string) *events.Recorder
	// helmIndexes holds the parsed Helm repository indexes, shared by
	// every HelmChart of a repository revision.
	helmIndexes *repository.IndexCache
	// bus is where every controller's events are published.
	bus *events.Bus
	// imageTags opens, once, the store of the tags ImageRepositories
	// scanned, which ImagePolicies read.
	imageTags func() (*tagstore.Store, error)
	// registries are the registry clients the ImageRepository and
	// ImagePolicy controllers share.
	registries *image.Registries
	// receiver is set by setupReceiver to the webhook server.
	receiver **receiver.Server
	// dispatches is the notification dispatcher's log of decisions, for
	// the UI; nil when the alert controller does not run.
	dispatches *notification.DispatchLog
}

// registration is one of ferry's controllers.
type registration struct {
	// name is what `--controllers` takes.
	name string
	// reconciles is the kind the controller reconciles, which
	// Options.WatchLabelSelector narrows.
	reconciles client.Object
	setup      setupFunc
}

// registry lists ferry's controllers in the order NewManager sets them up;
// adding a kind is one entry.
var registry = []registration{
	{name: "gitrepository", reconciles: &sourcev1.GitRepository{}, setup: setupGitRepository},
	{name: "ocirepository", reconciles: &sourcev1.OCIRepository{}, setup: setupOCIRepository},
	{name: "bucket", reconciles: &sourcev1.Bucket{}, setup: setupBucket},
	{name: "kustomization", reconciles: &kustomizev1.Kustomization{}, setup: setupKustomization},
	{name: "helmrelease", reconciles: &helmv2.HelmRelease{}, setup: setupHelmRelease},
	{name: "helmrepository", reconciles: &sourcev1.HelmRepository{}, setup: setupHelmRepository},
	{name: "helmchart", reconciles: &sourcev1.HelmChart{}, setup: setupHelmChart},
	{name: "provider", reconciles: &notificationv1beta3.Provider{}, setup: setupProvider},
	{name: "alert", reconciles: &notificationv1beta3.Alert{}, setup: setupAlert},
	{name: "receiver", reconciles: &notificationv1.Receiver{}, setup: setupReceiver},
	{name: "imagerepository", reconciles: &imagev1.ImageRepository{}, setup: setupImageRepository},
	{name: "imagepolicy", reconciles: &imagev1.ImagePolicy{}, setup: setupImagePolicy},
	{name: "imageupdateautomation", reconciles: &imagev1.ImageUpdateAutomation{}, setup: setupImageUpdateAutomation},
}

// Names lists the controllers ferry runs, by the name `--controllers` takes.
var Names = func() []string {
	names := make([]string, len(registry))
	for i, r := range registry {
		names[i] = r.name
	}
	return names
}()

func setupGitRepository(ctx context.Context, mgr manager.Manager, d deps, opts Options) error {
	r := &gitrepository.Reconciler{
		Client:  mgr.GetClient(),
		Events:  d.events(gitrepository.ControllerName),
		Storage: d.storage,

		ArtifactRetention:         opts.ArtifactRetention,
		MaxCheckoutSize:           opts.CheckoutMaxSize,
		IntervalJitterPercentage:  opts.IntervalJitterPercentage,
		DependencyRequeueInterval: opts.DependencyRequeue,
	}
	return r.SetupWithManager(ctx, mgr, gitrepository.Options{MaxConcurrentReconciles: opts.Concurrent})
}

func setupOCIRepository(ctx context.Context, mgr manager.Manager, d deps, opts Options) error {
	r := &ocirepository.Reconciler{
		Client:  mgr.GetClient(),
		Events:  d.events(ocirepository.ControllerName),
		Storage: d.storage,

		ArtifactRetention:        opts.ArtifactRetention,
		IntervalJitterPercentage: opts.IntervalJitterPercentage,
	}
	return r.SetupWithManager(ctx, mgr, ocirepository.Options{MaxConcurrentReconciles: opts.Concurrent})
}

func setupBucket(ctx context.Context, mgr manager.Manager, d deps, opts Options) error {
	r := &bucket.Reconciler{
		Client:  mgr.GetClient(),
		Events:  d.events(bucket.ControllerName),
		Storage: d.storage,

		ArtifactRetention:        opts.ArtifactRetention,
		IntervalJitterPercentage: opts.IntervalJitterPercentage,
	}
	return r.SetupWithManager(ctx, mgr, bucket.Options{MaxConcurrentReconciles: opts.Concurrent})
}

func setupKustomization(ctx context.Context, mgr manager.Manager, d deps, opts Options) error {
	r := &kustomization.Reconciler{
		Client:  mgr.GetClient(),
		Events:  d.events(kustomization.ControllerName),
		Fetcher: &artifact.Fetcher{Storage: d.storage},
		TempDir: opts.TempDir,

		DependencyRequeueInterval: opts.DependencyRequeue,
		DefaultServiceAccount:     opts.DefaultServiceAccount,
		NoCrossNamespaceRefs:      opts.NoCrossNamespaceRefs,
		IntervalJitterPercentage:  opts.IntervalJitterPercentage,
	}
	return r.SetupWithManager(ctx, mgr, kustomization.Options{MaxConcurrentReconciles: opts.Concurrent})
}

func setupHelmRelease(ctx context.Context, mgr manager.Manager, d deps, opts Options) error {
	r := &helmrelease.Reconciler{
		Client:     mgr.GetClient(),
		APIReader:  mgr.GetAPIReader(),
		RESTConfig: mgr.GetConfig(),
		Events:     d.events(helmrelease.ControllerName),
		Fetcher:    &artifact.Fetcher{Storage: d.storage},
		TempDir:    opts.TempDir,

		DependencyRequeueInterval: opts.DependencyRequeue,
		DefaultServiceAccount:     opts.DefaultServiceAccount,
		NoCrossNamespaceRefs:      opts.NoCrossNamespaceRefs,
		IntervalJitterPercentage:  opts.IntervalJitterPercentage,
	}
	return r.SetupWithManager(ctx, mgr, helmrelease.Options{MaxConcurrentReconciles: opts.Concurrent})
}

func setupHelmRepository(ctx context.Context, mgr manager.Manager, d deps, opts Options) error {
	r := &helmrepository.Reconciler{
		Client:  mgr.GetClient(),
		Events:  d.events(helmrepository.ControllerName),
		Storage: d.storage,

		ArtifactRetention:        opts.ArtifactRetention,
		MaxIndexSize:             opts.HelmIndexMaxSize,
		IntervalJitterPercentage: opts.IntervalJitterPercentage,
	}
	return r.SetupWithManager(ctx, mgr, helmrepository.Options{MaxConcurrentReconciles: opts.Concurrent})
}

func setupHelmChart(ctx context.Context, mgr manager.Manager, d deps, opts Options) error {
	r := &helmchart.Reconciler{
		Client:  mgr.GetClient(),
		Events:  d.events(helmchart.ControllerName),
		Storage: d.storage,
		Fetcher: &artifact.Fetcher{Storage: d.storage},
		Indexes: d.helmIndexes,
		TempDir: opts.TempDir,

		ArtifactRetention:         opts.ArtifactRetention,
		IntervalJitterPercentage:  opts.IntervalJitterPercentage,
		DependencyRequeueInterval: opts.DependencyRequeue,
	}
	return r.SetupWithManager(ctx, mgr, helmchart.Options{MaxConcurrentReconciles: opts.Concurrent})
}

func setupProvider(ctx context.Context, mgr manager.Manager, d deps, opts Options) error {
	r := &provider.Reconciler{Client: mgr.GetClient(), Events: d.events(provider.ControllerName)}
	return r.SetupWithManager(ctx, mgr, provider.Options{MaxConcurrentReconciles: opts.Concurrent})
}

// setupAlert registers the Alert controller and the dispatcher that
// delivers the events of every controller to the Alerts' Providers.
func setupAlert(ctx context.Context, mgr manager.Manager, d deps, opts Options) error {
	r := &alert.Reconciler{
		Client:               mgr.GetClient(),
		Events:               d.events(alert.ControllerName),
		NoCrossNamespaceRefs: opts.NoCrossNamespaceRefs,
	}
	if err := r.SetupWithManager(ctx, mgr, alert.Options{MaxConcurrentReconciles: opts.Concurrent}); err != nil {
		return err
	}
	return mgr.Add(&notification.Dispatcher{
		Client: mgr.GetClient(),
		Bus:    d.bus,
		Events: d.events(alert.ControllerName),
		Log:    mgr.GetLogger().WithName("notification"),
		Config: opts.Notification,

		NoCrossNamespaceRefs: opts.NoCrossNamespaceRefs,
		DispatchLog:          d.dispatches,
	})
}

func setupReceiver(ctx context.Context, mgr manager.Manager, d deps, opts Options) error {
	s, err := receiver.Setup(ctx, mgr, d.events(receiver.ControllerName), receiver.Options{
		MaxConcurrentReconciles: opts.Concurrent,
		Address:                 opts.ReceiverAddr,
		NoCrossNamespaceRefs:    opts.NoCrossNamespaceRefs,
	})
	if err != nil {
		return err
	}
	*d.receiver = s
	return nil
}

func setupImageRepository(ctx context.Context, mgr manager.Manager, d deps, opts Options) error {
	tags, err := d.imageTags()
	if err != nil {
		return err
	}
	r := &image.RepositoryReconciler{
		Client:     mgr.GetClient(),
		Events:     d.events(image.ReflectorControllerName),
		Tags:       tags,
		Registries: d.registries,

		IntervalJitterPercentage: opts.IntervalJitterPercentage,
	}
	return r.SetupWithManager(ctx, mgr, image.Options{MaxConcurrentReconciles: opts.Concurrent})
}

func setupImagePolicy(ctx context.Context, mgr manager.Manager, d deps, opts Options) error {
	tags, err := d.imageTags()
	if err != nil {
		return err
	}
	r := &image.PolicyReconciler{
		Client:     mgr.GetClient(),
		Events:     d.events(image.ReflectorControllerName),
		Tags:       tags,
		Registries: d.registries,

		NoCrossNamespaceRefs:      opts.NoCrossNamespaceRefs,
		DependencyRequeueInterval: opts.DependencyRequeue,
	}
	return r.SetupWithManager(ctx, mgr, image.Options{MaxConcurrentReconciles: opts.Concurrent})
}

func setupImageUpdateAutomation(ctx context.Context, mgr manager.Manager, d deps, opts Options) error {
	r := &image.UpdateReconciler{
		Client:  mgr.GetClient(),
		Events:  d.events(image.AutomationControllerName),
		TempDir: opts.TempDir,

		NoCrossNamespaceRefs:      opts.NoCrossNamespaceRefs,
		DependencyRequeueInterval: opts.DependencyRequeue,
		IntervalJitterPercentage:  opts.IntervalJitterPercentage,
	}
	return r.SetupWithManager(ctx, mgr, image.Options{MaxConcurrentReconciles: opts.Concurrent})
}
