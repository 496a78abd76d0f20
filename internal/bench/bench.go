package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"time"
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
	// Source is where the manifests come from: SourceGit (the default,
	// when empty) or SourceOCI.
	Source string
	// NoOneCommit leaves out the one-commit scenario after the no-change
	// pass.
	NoOneCommit bool
	// NoFloor leaves out the raw server-side-apply floor, measured at the
	// end.
	NoFloor bool
	// FloorConcurrency lists the concurrencies the floor is measured at;
	// empty means DefaultFloorConcurrency.
	FloorConcurrency []int
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
	// OneCommit holds the one-commit scenario, nil when it was left out.
	OneCommit *OneCommitResult `json:"oneCommit,omitempty"`
	// Floor is the raw server-side-apply floor, nil when it was left out;
	// FloorMultiple is FirstApply as a multiple of Floor.Healthy.
	Floor         *FloorResult `json:"floor,omitempty"`
	FloorMultiple float64      `json:"firstApplyOverFloor,omitempty"`
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
	for _, c := range opts.FloorConcurrency {
		if c < 1 {
			return nil, fmt.Errorf("the floor's concurrency must be at least 1, not %d", c)
		}
	}
	loadBefore := loadAverage()

	// The simulated cluster, the namespaces, the controller's log (the Git
	// server writes its errors there too) and a watch of our own, so that
	// waiting costs the API server one watch rather than a list per poll.
	env, err := startEnv(ctx, "ferry-bench-", opts.ControllerLog, opts.Progress)
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, env.close()) }()

	// Commit (or push) the manifests and serve them.
	src, err := serveSource(opts.Source, env.work, opts.Count, env)
	if err != nil {
		return nil, err
	}
	defer src.close()

	if err := env.startController(ctx, opts); err != nil {
		return nil, err
	}
	defer func() { err = env.stopController(err) }()

	r := env.run(opts)
	r.res = &Result{Count: opts.Count, Concurrent: opts.Concurrent, CPUs: runtime.NumCPU(),
		LoadBefore: loadBefore, GoVersion: runtime.Version()}

	// Create the source and wait for its artifact.
	r.sourceKind = sourceKindOf(src.object())
	if err := r.createSourceObject(ctx, src.object()); err != nil {
		return nil, err
	}

	// Time the first apply, the no-change pass and one commit.
	before, err := r.firstApply(ctx)
	if err != nil {
		return nil, err
	}
	after, err := r.noChangePass(ctx, before)
	if err != nil {
		return nil, err
	}
	if !opts.NoOneCommit {
		if err := r.oneCommit(ctx, src, after); err != nil {
			return nil, err
		}
	}

	// Measure the floor on the same cluster, in namespaces of its own,
	// once ferry is idle.
	if !opts.NoFloor {
		concurrency := opts.FloorConcurrency
		if len(concurrency) == 0 {
			concurrency = DefaultFloorConcurrency
		}
		if err := r.measureFloor(ctx, concurrency); err != nil {
			return nil, err
		}
	}

	// Read the controller's peak memory and the load at the end.
	if err := r.recordMemory(); err != nil {
		return nil, err
	}
	r.res.LoadAfter = loadAverage()
	return r.res, nil
}
