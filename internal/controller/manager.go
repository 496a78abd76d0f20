package controller

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/ferrycd/ferry/internal/artifact"
	"github.com/ferrycd/ferry/internal/controller/image"
	"github.com/ferrycd/ferry/internal/controller/receiver"
	"github.com/ferrycd/ferry/internal/events"
	"github.com/ferrycd/ferry/internal/helm/repository"
	"github.com/ferrycd/ferry/internal/image/tagstore"
	"github.com/ferrycd/ferry/internal/logring"
	"github.com/ferrycd/ferry/internal/notification"
	"github.com/ferrycd/ferry/internal/scheme"
)

// DefaultLeaderElectionID is the lease the replicas of one ferry
// controller elect their leader with.
const DefaultLeaderElectionID = "ferry-controller-leader-election"

// helmIndexCacheEntries bounds how many parsed Helm repository indexes the
// manager keeps for its HelmCharts.
const helmIndexCacheEntries = 32

// Options configures the manager that runs ferry's controllers.
type Options struct {
	// Controllers names the controllers to run (see Names); empty runs all.
	Controllers []string
	// MetricsAddr is where Prometheus /metrics is served; "0" turns it off.
	MetricsAddr string
	// HealthAddr is where /healthz and /readyz are served; "0" turns it off.
	HealthAddr string
	// LeaderElection makes only one replica reconcile at a time.
	LeaderElection bool
	// LeaderElectionNamespace holds the lease; empty means the in-cluster
	// namespace.
	LeaderElectionNamespace string
	// LeaderElectionID names the lease; empty means
	// DefaultLeaderElectionID. Each shard has its own.
	LeaderElectionID string
	// StoragePath is the directory that holds source artifacts.
	StoragePath string
	// ImageTagsPath is the directory that keeps the tags ImageRepositories
	// scanned; empty means ".image-tags" under StoragePath, which the
	// artifact server does not serve (it serves no hidden path).
	ImageTagsPath string
	// StorageAddr is where artifacts are served over HTTP, e.g. ":9790".
	StorageAddr string
	// StorageAdvAddr is the host[:port] written into artifact URLs; empty
	// means the address StorageAddr is listening on.
	StorageAdvAddr string
	// Concurrent is how many objects of one kind reconcile at once.
	Concurrent int
	// ArtifactMaxSize bounds one compressed artifact; zero means the
	// storage default.
	ArtifactMaxSize int64
	// CheckoutMaxSize bounds a Git checkout; zero means the reconciler's
	// default.
	CheckoutMaxSize int64
	// HelmIndexMaxSize bounds a downloaded Helm repository index; zero
	// means 50 MiB, Flux's default.
	HelmIndexMaxSize int64
	// ArtifactRetention is how many artifacts of one source are kept; zero
	// means the reconciler's default.
	ArtifactRetention int
	// IntervalJitterPercentage spreads source requeues by up to ± this
	// percentage of their interval; zero means the reconciler's default.
	IntervalJitterPercentage int
	// DependencyRequeue is how soon an object waiting for another (a
	// source without an artifact, a dependency not ready) looks again; zero
	// means the reconcilers' default.
	DependencyRequeue time.Duration
	// DefaultServiceAccount is the ServiceAccount impersonated for
	// Kustomizations without spec.serviceAccountName; empty means ferry's
	// own rights.
	DefaultServiceAccount string
	// NoCrossNamespaceRefs refuses Kustomizations whose sourceRef or
	// dependsOn names another namespace.
	NoCrossNamespaceRefs bool
	// TempDir is where Kustomizations unpack artifacts for a build; empty
	// means the system temporary directory.
	TempDir string
	// WatchLabelSelector, when set, makes each controller see only the
	// objects of its kind that it selects (as Flux's --watch-label-selector
	// does); the objects they refer to are not narrowed.
	WatchLabelSelector labels.Selector
	// ReceiverAddr is where the Receivers' webhooks are served (Flux's
	// :9292); empty or "0" serves none.
	ReceiverAddr string
	// EventsAddr, when set, is an external Flux notification-controller
	// every event is also posted to, as Flux's --events-addr.
	EventsAddr string
	// Notification tunes the delivery of events to Providers.
	Notification notification.Config
	// UIAddr is where the web UI is served; empty serves none. Every
	// request needs a Kubernetes token (TokenReview) and actions run with
	// it, unless UIUnauthenticated.
	UIAddr string
	// UIUnauthenticated serves the UI without sign-in, its actions made
	// with the manager's own identity: for `ferry dev`, on loopback only.
	UIUnauthenticated bool
	// Logger receives the manager's and the controllers' logs; the zero
	// value means controller-runtime's global logger.
	Logger logr.Logger
	// Logs, when set, is the ring that Logger (or the global logger) tees
	// into: the UI's object pages show each object's lines from it.
	Logs *logring.Ring
}

// Manager is a controller-runtime manager running ferry's controllers,
// with the artifact storage they share.
type Manager struct {
	manager.Manager
	// Storage holds the source artifacts and is served on
	// Options.StorageAddr.
	Storage *artifact.Storage
	// Events receives every event of every controller, for the
	// subscribers in this process (notifications, the UI's live stream).
	Events *events.Bus
	// Receiver serves the Receivers' webhooks; nil when the receiver
	// controller does not run.
	Receiver *receiver.Server
	// UIURL is the web UI's address, "http://127.0.0.1:9080"; empty
	// without Options.UIAddr.
	UIURL string
	// Dispatches is the notification dispatcher's log of decisions, which
	// the UI's /notifications shows; nil when the alert controller does
	// not run.
	Dispatches *notification.DispatchLog
}

// Selected reports which controllers of Names the list asks for; it refuses
// names it does not know so that a typo does not silently run nothing.
func Selected(list []string) ([]string, error) {
	if len(list) == 0 || slices.Contains(list, "*") {
		return slices.Clone(Names), nil
	}
	var out []string
	for _, n := range list {
		n = strings.ToLower(strings.TrimSpace(n))
		if n == "" {
			continue
		}
		if !slices.Contains(Names, n) {
			return nil, fmt.Errorf("unknown controller %q: choose from %s", n, strings.Join(Names, ", "))
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out, nil
}

// NewManager builds a controller-runtime manager with the selected
// controllers, the artifact server, health probes and metrics. It listens on
// the storage address at once, so the advertised address is known before the
// manager starts.
func NewManager(ctx context.Context, cfg *rest.Config, opts Options) (*Manager, error) {
	names, err := Selected(opts.Controllers)
	if err != nil {
		return nil, err
	}
	if opts.StoragePath == "" {
		return nil, errors.New("a storage path for artifacts is required")
	}
	if opts.StorageAddr == "" {
		opts.StorageAddr = ":9790"
	}
	if opts.Concurrent <= 0 {
		opts.Concurrent = 4
	}

	// Narrow the cache of each selected controller's kind to the objects
	// the selector picks.
	var byObject map[client.Object]cache.ByObject
	if opts.WatchLabelSelector != nil {
		byObject = map[client.Object]cache.ByObject{}
		for _, r := range registry {
			if slices.Contains(names, r.name) {
				byObject[r.reconciles] = cache.ByObject{Label: opts.WatchLabelSelector}
			}
		}
	}

	// Nothing ferry does reads the managed fields of an object it watches;
	// at a thousand objects they are a good part of each one.
	cacheOptions := cache.Options{ByObject: byObject, DefaultTransform: cache.TransformStripManagedFields()}

	cfg = rest.CopyConfig(cfg)
	cfg.WarningHandlerWithContext = quietFinalizerWarning{next: rest.WarningLogger{}}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                        scheme.New(),
		Logger:                        opts.Logger,
		Cache:                         cacheOptions,
		Metrics:                       metricsserver.Options{BindAddress: opts.MetricsAddr, ExtraHandlers: pprofHandlers()},
		HealthProbeBindAddress:        opts.HealthAddr,
		LeaderElection:                opts.LeaderElection,
		LeaderElectionID:              cmp.Or(opts.LeaderElectionID, DefaultLeaderElectionID),
		LeaderElectionNamespace:       opts.LeaderElectionNamespace,
		LeaderElectionReleaseOnCancel: true,
		// Tests and `ferry dev` may run more than one manager in a process;
		// controller names stay unique within each.
		Controller: config.Controller{SkipNameValidation: ptr.To(true)},
	})
	if err != nil {
		return nil, fmt.Errorf("creating the controller manager: %w", err)
	}

	listener, err := net.Listen("tcp", opts.StorageAddr)
	if err != nil {
		return nil, fmt.Errorf("listening for the artifact server on %s: %w", opts.StorageAddr, err)
	}
	adv := opts.StorageAdvAddr
	if adv == "" {
		adv = advertised(listener.Addr())
	}
	if err := os.MkdirAll(opts.StoragePath, 0o755); err != nil {
		listener.Close()
		return nil, fmt.Errorf("creating the artifact storage directory: %w", err)
	}
	storage, err := artifact.NewStorage(opts.StoragePath, adv)
	if err != nil {
		listener.Close()
		return nil, fmt.Errorf("opening the artifact storage: %w", err)
	}
	storage.MaxSize = opts.ArtifactMaxSize
	if err := mgr.Add(&httpServer{name: "artifact server", listener: listener, handler: storage.Handler()}); err != nil {
		listener.Close()
		return nil, err
	}

	if err := mgr.AddHealthzCheck("ping", healthz.Ping); err != nil {
		return nil, err
	}
	if err := mgr.AddReadyzCheck("ping", healthz.Ping); err != nil {
		return nil, err
	}

	bus := events.NewBus()
	instance, _ := os.Hostname() // the pod's name in a cluster, as Flux's reportingInstance
	helmIndexes := repository.NewIndexCache(helmIndexCacheEntries)
	helmIndexes.MaxIndexSize = opts.HelmIndexMaxSize
	if opts.EventsAddr != "" {
		if err := notification.ValidateEventsAddr(opts.EventsAddr); err != nil {
			return nil, err
		}
		if err := mgr.Add(&notification.Forwarder{Address: opts.EventsAddr, Bus: bus, Log: mgr.GetLogger().WithName("events-forwarder")}); err != nil {
			return nil, err
		}
	}
	var receiverServer *receiver.Server
	// The dispatcher records its decisions for the UI's /notifications.
	var dispatches *notification.DispatchLog
	if slices.Contains(names, "alert") {
		dispatches = notification.NewDispatchLog(notification.DefaultDispatchLogSize)
	}
	tagsPath := opts.ImageTagsPath
	if tagsPath == "" {
		tagsPath = filepath.Join(opts.StoragePath, ".image-tags")
	}
	d := deps{
		imageTags:   sync.OnceValues(func() (*tagstore.Store, error) { return tagstore.Open(tagsPath) }),
		registries:  &image.Registries{},
		dispatches:  dispatches,
		storage:     storage,
		helmIndexes: helmIndexes,
		bus:         bus,
		receiver:    &receiverServer,
		events: func(name string) *events.Recorder {
			return events.NewRecorder(mgr.GetEventRecorderFor(name), mgr.GetScheme(), name, instance, bus)
		},
	}
	for _, r := range registry {
		if !slices.Contains(names, r.name) {
			continue
		}
		if err := r.setup(ctx, mgr, d, opts); err != nil {
			return nil, fmt.Errorf("setting up the %s controller: %w", r.name, err)
		}
	}
	uiURL, err := addUI(mgr, opts, d.dispatches, storage)
	if err != nil {
		return nil, err
	}
	return &Manager{Manager: mgr, Storage: storage, Events: bus, Receiver: receiverServer, UIURL: uiURL, Dispatches: d.dispatches}, nil
}

// pprofHandlers serves Go's profiles on the metrics endpoint under
// /debug/pprof/, as Flux's controllers do.
func pprofHandlers() map[string]http.Handler {
	return map[string]http.Handler{
		"/debug/pprof/":        http.HandlerFunc(pprof.Index),
		"/debug/pprof/cmdline": http.HandlerFunc(pprof.Cmdline),
		"/debug/pprof/profile": http.HandlerFunc(pprof.Profile),
		"/debug/pprof/symbol":  http.HandlerFunc(pprof.Symbol),
		"/debug/pprof/trace":   http.HandlerFunc(pprof.Trace),
	}
}

// advertised turns a listener address into one other processes on this host
// can reach: an unspecified host becomes the loopback address.
func advertised(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok {
		return a.String()
	}
	host := tcp.IP.String()
	if tcp.IP == nil || tcp.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, fmt.Sprint(tcp.Port))
}

// httpServer serves a handler on every replica, leader or not: the
// artifact server (a Kustomization in another process may fetch from any
// of them) and the UI.
type httpServer struct {
	name     string
	listener net.Listener
	handler  http.Handler
}

// NeedLeaderElection reports that the server runs on every replica.
func (s *httpServer) NeedLeaderElection() bool { return false }

// Start serves until ctx is done.
func (s *httpServer) Start(ctx context.Context) error {
	srv := &http.Server{Handler: s.handler, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	if err := srv.Serve(s.listener); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("%s: %w", s.name, err)
	}
	return nil
}
