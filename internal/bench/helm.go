package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/ferrycd/ferry/internal/helm/helmtest"
	"github.com/ferrycd/ferry/internal/localcluster"
)

const (
	// HelmRepositoryName names the HelmRepository of type oci, in
	// SourceNamespace.
	HelmRepositoryName = "bench"
	// HelmChartName and HelmChartVersion are the chart every HelmRelease
	// installs, pushed to the registry as "charts/bench-app:1.0.0".
	HelmChartName    = "bench-app"
	HelmChartVersion = "1.0.0"
	// helmOwnerLabel and its value mark Helm's release storage Secrets.
	helmOwnerLabel = "owner"
	helmOwnerValue = "helm"
	// helmObjectsPerRelease is what the chart renders: a Deployment and a
	// Service.
	helmObjectsPerRelease = 2
)

// HelmResult holds the figures of one run of HelmReleases.
type HelmResult struct {
	// Count is the number of HelmReleases; Objects the number of objects
	// their releases hold (2 × Count when all went well).
	Count   int `json:"count"`
	Objects int `json:"objects"`
	// Concurrent is the controller's --concurrent, 0 for its default.
	Concurrent int `json:"concurrent"`
	// AllReady is the time from creating the HelmReleases (the
	// HelmRepository already Ready) until all are Ready at their
	// generation: the HelmCharts created, the chart pulled from the
	// registry, every release installed and its workloads ready.
	AllReady time.Duration `json:"allReadyNanoseconds"`
	// InstallMedian and InstallMax are the median and the longest time
	// one Helm install action took (the release written and its objects
	// ready), from status.lastAttemptedReleaseActionDuration.
	InstallMedian time.Duration `json:"installMedianNanoseconds"`
	InstallMax    time.Duration `json:"installMaxNanoseconds"`
	// PeakRSS is the controller process's peak resident set size (VmHWM),
	// in bytes; PeakAnon the largest anonymous resident memory (RssAnon)
	// sampled every 250ms.
	PeakRSS  int64 `json:"peakRSSBytes"`
	PeakAnon int64 `json:"peakAnonBytes"`
	// AllReadyCPU and NoChangeCPU are the controller process's CPU time
	// (user + system), in seconds, during each phase.
	AllReadyCPU float64 `json:"allReadyCPUSeconds"`
	NoChangeCPU float64 `json:"noChangeCPUSeconds"`
	// NoChange is the time from requesting a reconciliation of every
	// HelmRelease (reconcile.fluxcd.io/requestedAt; no new chart, no new
	// values) until each has handled it and is Ready.
	NoChange time.Duration `json:"noChangeNanoseconds"`
	// ReleaseSecrets is the number of Helm storage Secrets (label
	// owner=helm) after the first install; NewRevisions the number the
	// no-change pass added, and NewRevisionSecrets names some of them.
	ReleaseSecrets     int      `json:"releaseSecrets"`
	NewRevisions       int      `json:"newRevisions"`
	NewRevisionSecrets []string `json:"newRevisionSecrets,omitempty"`
	// Rewritten counts the released objects whose resourceVersion changed
	// during the no-change pass; RewrittenObjects names some of them.
	Rewritten        int      `json:"rewritten"`
	RewrittenObjects []string `json:"rewrittenObjects,omitempty"`
	// Machine facts, as in Result.
	CPUs       int    `json:"cpus"`
	LoadBefore string `json:"loadBefore"`
	LoadAfter  string `json:"loadAfter"`
	GoVersion  string `json:"goVersion"`
}

// HelmReleases runs the HelmRelease benchmark in the shape of
// flux-benchmark's: one small chart (a Deployment scaled to 0 and a
// Service, named after the release) pushed to an in-process OCI registry,
// a HelmRepository of type oci for it in SourceNamespace, and opts.Count
// HelmReleases in TargetNamespace whose spec.chart makes the controller
// create one HelmChart each. Options are those of Kustomizations, with
// Count the number of HelmReleases. It measures the time until all are
// Ready, the controller's peak memory and CPU time, and a no-change pass
// (a reconcile requested on every HelmRelease), counting the Helm release
// revisions that pass creates. Everything it starts is stopped before it
// returns.
func HelmReleases(ctx context.Context, opts Options) (_ *HelmResult, err error) {
	// Check the options and note the machine.
	if opts.Count < 1 {
		return nil, errors.New("the count of HelmReleases must be at least 1")
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 30 * time.Minute
	}
	progress := opts.Progress
	if progress == nil {
		progress = io.Discard
	}
	r := &helmRun{opts: opts, say: func(format string, args ...any) { fmt.Fprintf(progress, format+"\n", args...) }}
	r.res = &HelmResult{Count: opts.Count, Concurrent: opts.Concurrent, CPUs: runtime.NumCPU(),
		LoadBefore: loadAverage(), GoVersion: runtime.Version()}

	work, err := os.MkdirTemp("", "ferry-bench-helm-")
	if err != nil {
		return nil, fmt.Errorf("creating the benchmark directory: %w", err)
	}
	defer os.RemoveAll(work)

	// Start the simulated cluster and create the namespaces.
	r.say("► starting the local simulated cluster")
	kubeconfig := filepath.Join(work, "kubeconfig")
	cluster, err := localcluster.Start(ctx, localcluster.Options{Kubeconfig: kubeconfig, Progress: progress})
	if err != nil {
		return nil, fmt.Errorf("starting the simulated cluster: %w", err)
	}
	defer func() {
		if stopErr := cluster.Stop(); stopErr != nil {
			err = errors.Join(err, fmt.Errorf("stopping the simulated cluster: %w", stopErr))
		}
	}()
	r.c = cluster.Client
	if err := createNamespaces(ctx, r.c); err != nil {
		return nil, err
	}

	// Push the chart to a registry in this process, so that serving it
	// costs the controller nothing.
	r.say("► pushing chart %s:%s to an in-process OCI registry", HelmChartName, HelmChartVersion)
	registry, err := helmtest.StartRegistry()
	if err != nil {
		return nil, fmt.Errorf("starting the OCI registry: %w", err)
	}
	defer registry.Close()
	if _, err := registry.PushChart(BenchChart()); err != nil {
		return nil, fmt.Errorf("pushing the chart: %w", err)
	}

	// Start the controller.
	logPath := opts.ControllerLog
	if logPath == "" {
		logPath = filepath.Join(work, "controller.log")
	}
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("creating the controller log: %w", err)
	}
	defer logFile.Close()
	r.say("► starting ferry controller")
	if r.ctrl, err = startController(opts, kubeconfig, filepath.Join(work, "artifacts"), logFile); err != nil {
		return nil, err
	}
	defer func() {
		if stopErr := r.ctrl.stop(); stopErr != nil {
			err = errors.Join(err, stopErr)
		}
		if err != nil {
			err = fmt.Errorf("%w\ncontroller log (last lines):\n%s", err, tail(logPath, 15))
		}
	}()

	// Watch the HelmRepository and the HelmReleases in a cache of our own.
	cacheCtx, stopCache := context.WithCancel(ctx)
	defer stopCache()
	if r.watch, err = startHelmWatch(cacheCtx, cluster.Config); err != nil {
		return nil, err
	}

	// Create the HelmRepository and wait until it is Ready.
	if err := r.createHelmRepository(ctx, registry.URL()); err != nil {
		return nil, err
	}

	// Time the first install, then the no-change pass.
	if err := r.install(ctx); err != nil {
		return nil, err
	}
	if err := r.noChangePass(ctx); err != nil {
		return nil, err
	}

	// Read the controller's peak memory and the load at the end.
	peak, _, _, err := memoryOf(r.ctrl.pid())
	if err != nil {
		return nil, fmt.Errorf("reading the controller's memory: %w", err)
	}
	rss, anon := r.ctrl.largest()
	r.res.PeakRSS = max(peak, rss)
	r.res.PeakAnon = anon
	r.res.LoadAfter = loadAverage()
	return r.res, nil
}
