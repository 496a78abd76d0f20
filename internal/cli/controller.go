package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap/zapcore"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/ferrycd/ferry/internal/controller"
	"github.com/ferrycd/ferry/internal/controller/receiver"
	"github.com/ferrycd/ferry/internal/logring"
	"github.com/ferrycd/ferry/internal/notification"
)

func newControllerCommand(g *globals) *cobra.Command {
	opts := controller.Options{}
	var controllers string
	var devLogs bool
	var qps float32
	var burst int
	var rateLimit time.Duration
	var watchSelector string
	cmd := &cobra.Command{
		Use:   "controller",
		Short: "Run ferry's controllers against a cluster",
		Long: `Run every ferry controller in one process against the cluster of the
current kubeconfig (or in-cluster configuration), with one shared cache,
leader election, health probes, Prometheus metrics and the artifact server.`,
		Example: `  # Run all controllers against the current kubeconfig context
  ferry controller --storage-path ./.ferry/artifacts

  # Run only the Git source controller
  ferry controller --controllers gitrepository`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.Logs = setupLogging(devLogs)
			if controllers != "" {
				opts.Controllers = strings.Split(controllers, ",")
			}
			// The dispatcher's zero is its default; a negative interval
			// is no limit.
			opts.Notification.RateLimitInterval = rateLimit
			if rateLimit <= 0 {
				opts.Notification.RateLimitInterval = -1
			}
			if watchSelector != "" {
				sel, err := labels.Parse(watchSelector)
				if err != nil {
					return fmt.Errorf("--watch-label-selector %q: %w", watchSelector, err)
				}
				opts.WatchLabelSelector = sel
			}
			cfg, err := g.restConfig()
			if err != nil {
				return err
			}
			// client-go's own default (5 per second) would make every
			// reconcile wait on the client-side rate limiter.
			cfg.QPS, cfg.Burst = qps, burst
			mgr, err := controller.NewManager(cmd.Context(), cfg, opts)
			if err != nil {
				return err
			}
			names, _ := controller.Selected(opts.Controllers)
			ctrl.Log.Info("starting ferry controllers", "controllers", names)
			if err := mgr.Start(cmd.Context()); err != nil {
				return fmt.Errorf("running the controllers: %w", err)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&controllers, "controllers", "", "comma-separated controllers to run ("+strings.Join(controller.Names, ", ")+"); empty runs all")
	f.StringVar(&opts.MetricsAddr, "metrics-addr", ":8080", "address of the Prometheus /metrics endpoint; 0 turns it off")
	f.StringVar(&opts.HealthAddr, "health-addr", ":9440", "address of the /healthz and /readyz endpoints; 0 turns them off")
	f.BoolVar(&opts.LeaderElection, "enable-leader-election", false, "make sure only one replica reconciles at a time")
	f.StringVar(&opts.LeaderElectionNamespace, "leader-election-namespace", "", "namespace of the leader election lease (default: the pod's namespace)")
	f.StringVar(&opts.LeaderElectionID, "leader-election-id", controller.DefaultLeaderElectionID, "name of the leader election lease; each shard needs its own")
	f.StringVar(&watchSelector, "watch-label-selector", "", "reconcile only the objects this label selector picks, e.g. sharding.fluxcd.io/key=shard1 for a shard and !sharding.fluxcd.io/key for the main instance")
	f.StringVar(&opts.StoragePath, "storage-path", "/data", "directory where source artifacts are stored")
	f.StringVar(&opts.ImageTagsPath, "image-tags-path", "", "directory where the tags ImageRepositories scanned are kept (default: .image-tags under --storage-path, which the artifact server does not serve)")
	f.StringVar(&opts.StorageAddr, "storage-addr", ":9790", "address the artifact server listens on")
	f.StringVar(&opts.StorageAdvAddr, "storage-adv-addr", "", "host[:port] written into artifact URLs (default: the listening address)")
	f.IntVar(&opts.Concurrent, "concurrent", 4, "how many objects of one kind reconcile at once")
	f.Int64Var(&opts.ArtifactMaxSize, "artifact-max-size", 0, "largest compressed artifact in bytes (default 256 MiB)")
	f.Int64Var(&opts.CheckoutMaxSize, "checkout-max-size", 0, "largest Git checkout in bytes, .git included (default 1 GiB)")
	f.Int64Var(&opts.HelmIndexMaxSize, "helm-index-max-size", 0, "largest Helm repository index in bytes (default 50 MiB)")
	f.IntVar(&opts.ArtifactRetention, "artifact-retention-records", 0, "artifacts kept per source (default 2)")
	f.IntVar(&opts.IntervalJitterPercentage, "interval-jitter-percentage", 0, "spread source requeues by up to ± this percentage of their interval (default 5; negative turns it off)")
	f.DurationVar(&opts.DependencyRequeue, "requeue-dependency", 0, "how soon an object waiting for a source or a dependency looks again (default 30s)")
	f.StringVar(&opts.DefaultServiceAccount, "default-service-account", "", "ServiceAccount (of each Kustomization's namespace) impersonated by Kustomizations without spec.serviceAccountName; empty means ferry's own rights")
	f.BoolVar(&opts.NoCrossNamespaceRefs, "no-cross-namespace-refs", false, "refuse Kustomizations and HelmReleases whose sources or dependencies, Alerts whose event sources and Receivers whose resources are in another namespace")
	// Above Flux's 50/100: one process runs every controller, and at 50 a
	// no-change pass over 300 Kustomizations took 2.5 times as long, waiting
	// on the limiter (docs/benchmarks.md). The API server's priority and
	// fairness still protects it.
	f.Float32Var(&qps, "kube-api-qps", 200, "the maximum queries-per-second of requests sent to the Kubernetes API, per resource")
	f.IntVar(&burst, "kube-api-burst", 400, "the maximum burst of requests sent to the Kubernetes API, per resource")
	f.StringVar(&opts.ReceiverAddr, "receiver-address", receiver.DefaultAddress, "address the webhooks of Receivers are served on; 0 turns them off")
	f.StringVar(&opts.UIAddr, "ui-address", "", "address the web UI is served on (off unless set); every request signs in with a Kubernetes token, and actions run with it")
	// Flux's notification-controller names it so; a Flux Deployment's
	// arguments keep working.
	f.StringVar(&opts.ReceiverAddr, "receiverAddr", receiver.DefaultAddress, "")
	_ = f.MarkHidden("receiverAddr")
	f.StringVar(&opts.EventsAddr, "events-addr", "", "also post every event to the Flux notification-controller at this URL, as Flux's controllers do (e.g. http://notification-controller.flux-system.svc.cluster.local./)")
	f.DurationVar(&rateLimit, "rate-limit-interval", notification.DefaultRateLimitInterval, "how long a notified event keeps identical ones from being notified again; 0 turns the limit off")
	f.BoolVar(&devLogs, "log-dev", false, "human-readable logs instead of JSON")
	return cmd
}

// preciseTimestamps makes a logger write RFC 3339 timestamps with
// sub-second precision instead of whole seconds.
func preciseTimestamps(o *zap.Options) { o.TimeEncoder = zapcore.RFC3339NanoTimeEncoder }

// setupLogging sends controller-runtime's and client-go's logs through one
// zap logger: JSON by default, console format for people, with
// millisecond timestamps (as Flux's), so a reconcile's steps can be timed
// from the log. controller-runtime's also go to the returned ring, which
// keeps each object's recent lines for the web UI.
func setupLogging(dev bool) *logring.Ring {
	logger := zap.New(zap.UseDevMode(dev), preciseTimestamps)
	logs := logring.New(logring.Options{})
	ctrl.SetLogger(logs.Wrap(logger))
	klog.SetLogger(logger)
	return logs
}
