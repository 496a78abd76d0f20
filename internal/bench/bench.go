package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/gitserver"
	"github.com/ferrycd/ferry/internal/localcluster"
	"github.com/ferrycd/ferry/internal/scheme"
)

const (
	// SourceNamespace holds the GitRepository and the Kustomizations, as
	// flux-system does in a Flux installation.
	SourceNamespace = "flux-system"
	// TargetNamespace receives every applied object.
	TargetNamespace = "bench"
	// sourceName names the GitRepository.
	sourceName = "bench"
	// pollInterval is how often the benchmark looks at the Kustomizations
	// (in its own informer cache, so without a request to the API server).
	pollInterval = 100 * time.Millisecond
	// ownerLabel marks what a Kustomization applied.
	ownerLabel = "kustomize.toolkit.fluxcd.io/name"
)

// Options configures Kustomizations.
type Options struct {
	// Count is how many Kustomizations (and directories in the repository)
	// there are; each applies 4 objects.
	Count int
	// Concurrent is passed to `ferry controller --concurrent`; zero keeps
	// the controller's default.
	Concurrent int
	// Timeout bounds each phase (first apply, no-change pass); zero means
	// 30 minutes.
	Timeout time.Duration
	// Command is the ferry executable and any leading arguments; empty means
	// this process's own executable.
	Command []string
	// Env is added to the controller process's environment.
	Env []string
	// ControllerArgs are added to the `ferry controller` command line, e.g.
	// "--metrics-addr=127.0.0.1:8080".
	ControllerArgs []string
	// ControllerLog, when set, keeps the controller's log in this file;
	// otherwise it is removed with everything else.
	ControllerLog string
	// Progress receives one line per step; nil discards them.
	Progress io.Writer
}

// Result holds the figures of one run.
type Result struct {
	// Count is the number of Kustomizations; Objects the number of objects
	// they applied (4 × Count when all went well).
	Count   int `json:"count"`
	Objects int `json:"objects"`
	// Concurrent is the controller's --concurrent, 0 for its default.
	Concurrent int `json:"concurrent"`
	// FirstApply is the time from creating the Kustomizations until all are
	// Ready.
	FirstApply time.Duration `json:"firstApplyNanoseconds"`
	// PeakRSS is the controller process's peak resident set size (VmHWM),
	// in bytes.
	PeakRSS int64 `json:"peakRSSBytes"`
	// PeakAnon is the largest anonymous resident memory (RssAnon: heap and
	// stacks, without the mapped executable) sampled every 250ms, in bytes.
	PeakAnon int64 `json:"peakAnonBytes"`
	// NoChange is the time from requesting a reconciliation of every
	// Kustomization (no new commit) until each has handled it and is Ready.
	NoChange time.Duration `json:"noChangeNanoseconds"`
	// Rewritten counts applied objects whose resourceVersion changed during
	// the no-change pass; RewrittenObjects names some of them.
	Rewritten        int      `json:"rewritten"`
	RewrittenObjects []string `json:"rewrittenObjects,omitempty"`
	// ControllerCPU is the CPU time the controller process used, in seconds,
	// during the first apply and during the no-change pass.
	FirstApplyCPU float64 `json:"firstApplyCPUSeconds"`
	NoChangeCPU   float64 `json:"noChangeCPUSeconds"`
	// Machine facts: logical CPUs and the one-, five- and fifteen-minute
	// load averages at the start and at the end.
	CPUs       int    `json:"cpus"`
	LoadBefore string `json:"loadBefore"`
	LoadAfter  string `json:"loadAfter"`
	GoVersion  string `json:"goVersion"`
}

// Speedup is how many times faster the no-change pass was than the first
// apply.
func (r *Result) Speedup() float64 {
	if r.NoChange <= 0 {
		return 0
	}
	return float64(r.FirstApply) / float64(r.NoChange)
}

// Kustomizations runs the benchmark and stops everything it started before
// returning.
func Kustomizations(ctx context.Context, opts Options) (_ *Result, err error) {
	// Check the options and note the machine.
	if opts.Count < 1 {
		return nil, errors.New("the count of Kustomizations must be at least 1")
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 30 * time.Minute
	}
	progress := opts.Progress
	if progress == nil {
		progress = io.Discard
	}
	r := &run{opts: opts, say: func(format string, args ...any) { fmt.Fprintf(progress, format+"\n", args...) }}
	r.res = &Result{Count: opts.Count, Concurrent: opts.Concurrent, CPUs: runtime.NumCPU(),
		LoadBefore: loadAverage(), GoVersion: runtime.Version()}

	work, err := os.MkdirTemp("", "ferry-bench-")
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

	// Open the controller's log; the Git server writes its errors there too.
	logPath := opts.ControllerLog
	if logPath == "" {
		logPath = filepath.Join(work, "controller.log")
	}
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("creating the controller log: %w", err)
	}
	defer logFile.Close()

	// Commit the manifests and serve them.
	r.say("► committing %d directories of 4 objects to a Git repository", opts.Count)
	server, err := serveManifests(filepath.Join(work, "git"), opts.Count, logFile)
	if err != nil {
		return nil, err
	}
	defer server.Close()

	// Start the controller.
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

	// Watch the Kustomizations in a cache of our own, so waiting costs the
	// API server one watch rather than a list per poll.
	cacheCtx, stopCache := context.WithCancel(ctx)
	defer stopCache()
	if r.watch, err = startWatch(cacheCtx, cluster.Config); err != nil {
		return nil, err
	}

	// Create the GitRepository and wait for its artifact.
	if err := r.createSource(ctx, server.RepoURL("bench")); err != nil {
		return nil, err
	}

	// Time the first apply, then the no-change pass.
	before, err := r.firstApply(ctx)
	if err != nil {
		return nil, err
	}
	if err := r.noChangePass(ctx, before); err != nil {
		return nil, err
	}

	// Read the controller's peak memory and the load at the end.
	if err := r.recordMemory(); err != nil {
		return nil, err
	}
	r.res.LoadAfter = loadAverage()
	return r.res, nil
}

// run is one run of the benchmark: what its steps share once the cluster,
// the controller and the watch are up.
type run struct {
	opts Options
	say  func(format string, args ...any)
	res  *Result

	c     client.Client
	watch cache.Cache
	ctrl  *controllerProcess
	// appliedCPU is the controller's CPU time, in seconds, when the first
	// apply ended.
	appliedCPU float64
}

// createNamespaces creates the namespace of the sources and the target
// namespace.
func createNamespaces(ctx context.Context, c client.Client) error {
	for _, ns := range []string{SourceNamespace, TargetNamespace} {
		if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
			return fmt.Errorf("creating namespace %s: %w", ns, err)
		}
	}
	return nil
}

// serveManifests commits Manifests(count) to a repository under root and
// serves it over smart HTTP, with git http-backend's errors going to
// stderr.
func serveManifests(root string, count int, stderr io.Writer) (*gitserver.Server, error) {
	server := gitserver.New(root)
	server.Stderr = stderr
	repo, err := server.InitRepo("bench", "main")
	if err != nil {
		return nil, fmt.Errorf("creating the Git repository: %w", err)
	}
	if err := repo.WriteFiles(Manifests(count)); err != nil {
		return nil, fmt.Errorf("writing the manifests: %w", err)
	}
	if _, err := repo.Commit("benchmark manifests"); err != nil {
		return nil, fmt.Errorf("committing the manifests: %w", err)
	}
	if _, err := server.Start(); err != nil {
		return nil, fmt.Errorf("starting the Git server: %w", err)
	}
	return server, nil
}

// startWatch starts an informer cache of the source namespace that runs
// until ctx ends.
func startWatch(ctx context.Context, cfg *rest.Config) (cache.Cache, error) {
	watch, err := cache.New(cfg, cache.Options{Scheme: scheme.New(),
		DefaultNamespaces: map[string]cache.Config{SourceNamespace: {}}})
	if err != nil {
		return nil, fmt.Errorf("creating the cache: %w", err)
	}
	go func() { _ = watch.Start(ctx) }()
	return watch, nil
}

// createSource creates the GitRepository of url and waits until the
// controller has stored its artifact.
func (r *run) createSource(ctx context.Context, url string) error {
	gr := &sourcev1.GitRepository{
		ObjectMeta: metav1.ObjectMeta{Name: sourceName, Namespace: SourceNamespace},
		Spec: sourcev1.GitRepositorySpec{
			URL:       url,
			Interval:  metav1.Duration{Duration: time.Hour},
			Reference: &sourcev1.GitRepositoryRef{Branch: "main"},
		},
	}
	if err := r.c.Create(ctx, gr); err != nil {
		return fmt.Errorf("creating the GitRepository: %w", err)
	}
	r.say("► waiting for the GitRepository's artifact")
	return r.ctrl.waitFor(ctx, 5*time.Minute, func() (bool, string, error) {
		if err := r.watch.Get(ctx, client.ObjectKeyFromObject(gr), gr); err != nil {
			return false, "", nil
		}
		ready := apimeta.IsStatusConditionTrue(gr.Status.Conditions, meta.ReadyCondition)
		return ready && gr.Status.Artifact != nil, "the GitRepository is not Ready", nil
	})
}

// firstApply creates the Kustomizations and times them until all are
// Ready. It returns the resourceVersions of the objects they applied.
func (r *run) firstApply(ctx context.Context) (map[string]string, error) {
	count := r.opts.Count
	r.say("► creating %d Kustomizations", count)
	cpu0, _ := cpuSecondsOf(r.ctrl.pid())
	start := time.Now()
	if err := createKustomizations(ctx, r.c, count); err != nil {
		return nil, err
	}
	r.say("► waiting until all are Ready")
	if err := r.ctrl.waitFor(ctx, r.opts.Timeout, allReady(ctx, r.watch, count, nil)); err != nil {
		return nil, fmt.Errorf("first apply: %w", err)
	}
	r.res.FirstApply = time.Since(start)
	r.appliedCPU, _ = cpuSecondsOf(r.ctrl.pid())
	r.res.FirstApplyCPU = r.appliedCPU - cpu0
	r.say("✔ %d Kustomizations Ready in %s", count, r.res.FirstApply.Round(time.Millisecond))

	before, err := resourceVersions(ctx, r.c)
	if err != nil {
		return nil, err
	}
	r.res.Objects = len(before)
	if want := 4 * count; len(before) != want {
		return nil, fmt.Errorf("found %d applied objects, want %d", len(before), want)
	}
	return before, nil
}

// noChangePass asks every Kustomization to reconcile, with no new commit,
// times them until each has handled the request and is Ready, and counts
// the applied objects whose resourceVersion differs from before.
func (r *run) noChangePass(ctx context.Context, before map[string]string) error {
	count := r.opts.Count
	token := time.Now().Format(time.RFC3339Nano)
	r.say("► requesting a reconciliation of every Kustomization (no new commit)")
	start := time.Now()
	if err := requestReconcile(ctx, r.c, count, token); err != nil {
		return err
	}
	if err := r.ctrl.waitFor(ctx, r.opts.Timeout, allReady(ctx, r.watch, count, &token)); err != nil {
		return fmt.Errorf("no-change pass: %w", err)
	}
	r.res.NoChange = time.Since(start)
	cpu, _ := cpuSecondsOf(r.ctrl.pid())
	r.res.NoChangeCPU = cpu - r.appliedCPU
	r.say("✔ no-change pass done in %s", r.res.NoChange.Round(time.Millisecond))

	after, err := resourceVersions(ctx, r.c)
	if err != nil {
		return err
	}
	for _, id := range slices.Sorted(mapsKeys(before)) {
		if after[id] != before[id] {
			r.res.Rewritten++
			if len(r.res.RewrittenObjects) < 10 {
				r.res.RewrittenObjects = append(r.res.RewrittenObjects, id)
			}
		}
	}
	return nil
}

// recordMemory records the controller's peak memory: the larger of its
// VmHWM and the VmRSS samples, and the largest RssAnon sample.
func (r *run) recordMemory() error {
	peak, _, _, err := memoryOf(r.ctrl.pid())
	if err != nil {
		return fmt.Errorf("reading the controller's memory: %w", err)
	}
	rss, anon := r.ctrl.largest()
	r.res.PeakRSS = max(peak, rss)
	r.res.PeakAnon = anon
	return nil
}

// Manifests returns the repository's files: for each of count directories
// apps/app-NNNN, one file with a Deployment scaled to 0, a ServiceAccount, a
// Service and a ConfigMap, and no kustomization.yaml (one is generated, as
// Flux does).
func Manifests(count int) map[string]string {
	files := make(map[string]string, count)
	for i := range count {
		name := appName(i)
		files["apps/"+name+"/manifests.yaml"] = strings.ReplaceAll(manifestTemplate, "NAME", name)
	}
	return files
}

const manifestTemplate = `apiVersion: v1
kind: ServiceAccount
metadata:
  name: NAME
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: NAME
data:
  app: NAME
  greeting: hello
---
apiVersion: v1
kind: Service
metadata:
  name: NAME
spec:
  selector:
    app: NAME
  ports:
    - name: http
      port: 80
      targetPort: http
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: NAME
spec:
  replicas: 0
  selector:
    matchLabels:
      app: NAME
  template:
    metadata:
      labels:
        app: NAME
    spec:
      serviceAccountName: NAME
      containers:
        - name: app
          image: ghcr.io/stefanprodan/podinfo:6.7.1
          ports:
            - name: http
              containerPort: 9898
          resources:
            requests:
              cpu: 10m
              memory: 16Mi
`

func appName(i int) string { return fmt.Sprintf("app-%04d", i) }

// createKustomizations creates count Kustomizations, a few at a time.
func createKustomizations(ctx context.Context, c client.Client, count int) error {
	return parallel(ctx, count, func(i int) error {
		name := appName(i)
		ks := &kustomizev1.Kustomization{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: SourceNamespace},
			Spec: kustomizev1.KustomizationSpec{
				Interval:        metav1.Duration{Duration: time.Hour},
				Path:            "./apps/" + name,
				Prune:           true,
				Wait:            true,
				Timeout:         &metav1.Duration{Duration: 5 * time.Minute},
				TargetNamespace: TargetNamespace,
				SourceRef:       kustomizev1.CrossNamespaceSourceReference{Kind: sourcev1.GitRepositoryKind, Name: sourceName},
			},
		}
		if err := c.Create(ctx, ks); err != nil {
			return fmt.Errorf("creating Kustomization %s: %w", name, err)
		}
		return nil
	})
}

// requestReconcile sets reconcile.fluxcd.io/requestedAt on every
// Kustomization, as `flux reconcile kustomization` does.
func requestReconcile(ctx context.Context, c client.Client, count int, token string) error {
	patch := fmt.Appendf(nil, `{"metadata":{"annotations":{%q:%q}}}`, meta.ReconcileRequestAnnotation, token)
	return parallel(ctx, count, func(i int) error {
		ks := &kustomizev1.Kustomization{ObjectMeta: metav1.ObjectMeta{Name: appName(i), Namespace: SourceNamespace}}
		if err := c.Patch(ctx, ks, client.RawPatch(types.MergePatchType, patch)); err != nil {
			return fmt.Errorf("requesting a reconciliation of Kustomization %s: %w", ks.Name, err)
		}
		return nil
	})
}

// parallel runs fn for 0..count-1 on a few workers and returns the first
// error.
func parallel(ctx context.Context, count int, fn func(i int) error) error {
	const workers = 8
	next := make(chan int)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range next {
				if err := fn(i); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	var err error
feed:
	for i := range count {
		select {
		case next <- i:
		case err = <-errs:
			break feed
		case <-ctx.Done():
			err = ctx.Err()
			break feed
		}
	}
	close(next)
	wg.Wait()
	close(errs)
	if err != nil {
		return err
	}
	return <-errs
}

// allReady is the condition that all count Kustomizations are Ready at
// their generation and, when token is set, have handled that reconcile
// request. A stalled Kustomization fails at once.
func allReady(ctx context.Context, r client.Reader, count int, token *string) func() (bool, string, error) {
	return func() (bool, string, error) {
		var list kustomizev1.KustomizationList
		if err := r.List(ctx, &list, client.InNamespace(SourceNamespace)); err != nil {
			return false, "", err
		}
		ready := 0
		var waiting string
		for i := range list.Items {
			k := &list.Items[i]
			if apimeta.IsStatusConditionTrue(k.Status.Conditions, meta.StalledCondition) {
				c := apimeta.FindStatusCondition(k.Status.Conditions, meta.StalledCondition)
				return false, "", fmt.Errorf("Kustomization %s is stalled: %s", k.Name, c.Message)
			}
			c := apimeta.FindStatusCondition(k.Status.Conditions, meta.ReadyCondition)
			ok := c != nil && c.Status == metav1.ConditionTrue && c.ObservedGeneration == k.Generation
			if ok && token != nil {
				ok = k.Status.LastHandledReconcileAt == *token
			}
			if ok {
				ready++
			} else if waiting == "" {
				waiting = k.Name
				if c != nil {
					waiting += " (" + c.Reason + ": " + c.Message + ")"
				}
			}
		}
		return ready == count, fmt.Sprintf("%d of %d done; waiting for %s", ready, count, waiting), nil
	}
}

// resourceVersions returns the resourceVersion of every object the
// Kustomizations applied, by "Kind/name".
func resourceVersions(ctx context.Context, c client.Client) (map[string]string, error) {
	out := map[string]string{}
	opts := []client.ListOption{client.InNamespace(TargetNamespace), client.HasLabels{ownerLabel}}
	lists := []client.ObjectList{&appsv1.DeploymentList{}, &corev1.ServiceList{}, &corev1.ServiceAccountList{}, &corev1.ConfigMapList{}}
	for _, l := range lists {
		if err := c.List(ctx, l, opts...); err != nil {
			return nil, fmt.Errorf("listing the applied objects: %w", err)
		}
		items, err := apimeta.ExtractList(l)
		if err != nil {
			return nil, err
		}
		for _, item := range items {
			o := item.(client.Object)
			kind := strings.TrimSuffix(fmt.Sprintf("%T", l), "List")
			kind = kind[strings.LastIndexByte(kind, '.')+1:]
			out[kind+"/"+o.GetName()] = o.GetResourceVersion()
		}
	}
	return out, nil
}

func mapsKeys(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// controllerProcess is `ferry controller` running as a child process.
type controllerProcess struct {
	cmd    *exec.Cmd
	exited chan struct{}
	err    error

	progress io.Writer

	mu      sync.Mutex
	maxRSS  int64
	maxAnon int64
	done    chan struct{}
}

// startController starts `ferry controller` against the kubeconfig, with
// its log going to logFile, and samples its memory until it stops.
func startController(opts Options, kubeconfig, storage string, logFile *os.File) (*controllerProcess, error) {
	command := opts.Command
	if len(command) == 0 {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("finding the ferry executable: %w", err)
		}
		command = []string{exe}
	}
	args := append(slices.Clone(command[1:]), "controller",
		"--kubeconfig", kubeconfig,
		"--storage-path", storage,
		"--storage-addr", "127.0.0.1:0",
		"--metrics-addr", "0",
		"--health-addr", "0",
	)
	if opts.Concurrent > 0 {
		args = append(args, "--concurrent", fmt.Sprint(opts.Concurrent))
	}
	args = append(args, opts.ControllerArgs...)
	cmd := exec.Command(command[0], args...)
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.Env = append(os.Environ(), opts.Env...)
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting ferry controller: %w", err)
	}
	p := &controllerProcess{cmd: cmd, exited: make(chan struct{}), done: make(chan struct{}), progress: opts.Progress}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	go p.sample()
	return p, nil
}

func (p *controllerProcess) pid() int { return p.cmd.Process.Pid }

// sample records the largest VmRSS (a cross-check of VmHWM) and RssAnon
// seen.
func (p *controllerProcess) sample() {
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-p.done:
			return
		case <-p.exited:
			return
		case <-t.C:
		}
		if _, rss, anon, err := memoryOf(p.pid()); err == nil {
			p.mu.Lock()
			p.maxRSS = max(p.maxRSS, rss)
			p.maxAnon = max(p.maxAnon, anon)
			p.mu.Unlock()
		}
	}
}

func (p *controllerProcess) largest() (rss, anon int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.maxRSS, p.maxAnon
}

// waitFor polls cond until it holds, the timeout passes, ctx ends or the
// controller exits.
func (p *controllerProcess) waitFor(ctx context.Context, timeout time.Duration, cond func() (bool, string, error)) error {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	t := time.NewTicker(pollInterval)
	defer t.Stop()
	lastProgress := time.Now()
	var state string
	for {
		ok, s, err := cond()
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		state = s
		if p.progress != nil && time.Since(lastProgress) >= 10*time.Second {
			fmt.Fprintf(p.progress, "  … %s\n", state)
			lastProgress = time.Now()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("interrupted (%s): %w", state, ctx.Err())
		case <-p.exited:
			return fmt.Errorf("ferry controller exited (%s): %v", state, p.err)
		case <-deadline.C:
			return fmt.Errorf("timed out after %s: %s", timeout, state)
		case <-t.C:
		}
	}
}

// stop ends the controller: SIGTERM, then SIGKILL if it lingers.
func (p *controllerProcess) stop() error {
	close(p.done)
	select {
	case <-p.exited:
		return nil
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
		return nil
	case <-time.After(15 * time.Second):
	}
	_ = p.cmd.Process.Kill()
	<-p.exited
	return nil
}

// tail returns the last n lines of a file.
func tail(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
