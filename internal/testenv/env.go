package testenv

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr/funcr"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferrycd/ferry/config"
	"github.com/ferrycd/ferry/internal/artifact"
	"github.com/ferrycd/ferry/internal/controller"
	"github.com/ferrycd/ferry/internal/controlplane"
	"github.com/ferrycd/ferry/internal/events"
	"github.com/ferrycd/ferry/internal/gitserver"
	"github.com/ferrycd/ferry/internal/logring"
	"github.com/ferrycd/ferry/internal/notification"
	"github.com/ferrycd/ferry/internal/scheme"
)

// startTimeout bounds the start of the control plane, the first build of
// its binaries included.
const startTimeout = 15 * time.Minute

// Options says what Start starts.
type Options struct {
	// Simulated starts a simulated control plane (kube-controller-manager,
	// kube-scheduler and kwok with one fake Node), so that workloads become
	// ready; the default is API-only.
	Simulated bool
	// Manager, when set, runs ferry's controllers in a manager built by
	// controller.NewManager with these options. Where empty, StoragePath
	// and TempDir are in the environment's directory, StorageAddr is
	// 127.0.0.1:0 and metrics and health probes are off. Nil runs no
	// controllers.
	Manager *controller.Options
	// GitServer starts a smart-HTTP Git server on loopback (Env.Git).
	GitServer bool
	// Secrets must never appear in the controllers' logs: Run fails the
	// tests when one does.
	Secrets []string
	// LogRing also keeps the controllers' log lines per object in
	// Env.LogRing, as `ferry controller` tees its logger for the web UI.
	LogRing bool
}

// Env is what Start started. Its fields are set once, before the tests run.
type Env struct {
	// Config is an admin (system:masters) configuration of the plane.
	Config *rest.Config
	// Client is an admin client of the plane, with ferry's scheme.
	Client client.Client
	// Kubeconfig is the path of an admin kubeconfig file of the plane.
	Kubeconfig string
	// Plane is the control plane, for the tests that restart its API
	// server.
	Plane *controlplane.ControlPlane
	// ReceiverURL is the manager's Receiver webhook server,
	// "http://127.0.0.1:<port>"; empty unless the receiver controller runs
	// with Options.Manager.ReceiverAddr set.
	ReceiverURL string
	// Storage is the manager's artifact storage; nil without
	// Options.Manager.
	Storage *artifact.Storage
	// Events is the manager's event bus: every event of every controller;
	// nil without Options.Manager.
	Events *events.Bus
	// Git is the Git server; nil without Options.GitServer.
	Git *gitserver.Server
	// Logs holds everything logged through controller-runtime's logger:
	// the controllers' logs.
	Logs *Buffer
	// LogRing keeps the controllers' recent log lines per object (the
	// web UI's Log sections); nil without Options.LogRing.
	LogRing *logring.Ring
	// Dispatches is the manager's notification dispatch log; nil unless
	// the alert controller runs.
	Dispatches *notification.DispatchLog

	opts Options
	dir  string
	// stops undo what Start did, last first.
	stops []func() error
}

// Start starts what opts asks for. A TestMain has nobody to report a failure
// to, so when something does not start Start stops what it started, prints
// why and exits the test binary with status 1. Call Run next.
func Start(opts Options) *Env {
	if !flag.Parsed() {
		flag.Parse() // so that TestMain may consult testing.Short and the tests' flags
	}
	e := &Env{opts: opts, Logs: &Buffer{}}
	if err := e.start(); err != nil {
		fmt.Fprintln(os.Stderr, "testenv:", err)
		e.stop()
		os.Exit(1)
	}
	return e
}

// start starts everything, recording in e.stops how to stop it.
func (e *Env) start() error {
	// Keep the controllers' logs; FERRY_TEST_LOG=1 shows them too.
	var logOut io.Writer = e.Logs
	if os.Getenv("FERRY_TEST_LOG") != "" {
		logOut = io.MultiWriter(e.Logs, os.Stderr)
	}
	logger := funcr.New(func(prefix, args string) {
		fmt.Fprintln(logOut, prefix, args)
	}, funcr.Options{Verbosity: 1})
	if e.opts.LogRing {
		e.LogRing = logring.New(logring.Options{})
		logger = e.LogRing.Wrap(logger)
	}
	ctrl.SetLogger(logger)

	dir, err := os.MkdirTemp("", "ferry-test-")
	if err != nil {
		return err
	}
	e.dir = dir
	e.onStop(func() error { return os.RemoveAll(dir) })

	// Start the plane and install ferry's CRDs.
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	cp, err := controlplane.Start(ctx, controlplane.Options{Simulated: e.opts.Simulated, Progress: os.Stderr})
	if err != nil {
		return fmt.Errorf("starting the control plane: %w", err)
	}
	e.onStop(func() error {
		if err := cp.Stop(); err != nil {
			return fmt.Errorf("stopping the control plane: %w", err)
		}
		return nil
	})
	e.Config, e.Plane = cp.Config, cp
	e.Kubeconfig = filepath.Join(dir, "kubeconfig")
	if err := cp.WriteKubeconfig(e.Kubeconfig); err != nil {
		return err
	}
	if e.Client, err = client.New(cp.Config, client.Options{Scheme: scheme.New()}); err != nil {
		return fmt.Errorf("creating a client: %w", err)
	}
	if err := config.InstallCRDs(ctx, e.Client); err != nil {
		return fmt.Errorf("installing CRDs: %w", err)
	}

	// Start the test servers.
	if e.opts.GitServer {
		e.Git = gitserver.New(filepath.Join(dir, "git"))
		if err := os.MkdirAll(e.Git.Root(), 0o755); err != nil {
			return err
		}
		if _, err := e.Git.Start(); err != nil {
			return fmt.Errorf("starting the Git server: %w", err)
		}
		e.onStop(func() error { e.Git.Close(); return nil })
	}

	// Start the controllers.
	if e.opts.Manager != nil {
		mgr, stop, err := e.startManager(*e.opts.Manager, dir)
		if err != nil {
			return err
		}
		e.Storage = mgr.Storage
		e.Events = mgr.Events
		e.Dispatches = mgr.Dispatches
		if mgr.Receiver != nil && mgr.Receiver.Addr() != "" {
			e.ReceiverURL = "http://" + mgr.Receiver.Addr()
		}
		e.onStop(stop)
	}
	return nil
}

// Run runs the tests, then stops everything Start started and checks the
// logs for Options.Secrets. It returns the exit code for os.Exit.
func (e *Env) Run(m *testing.M) int {
	code := m.Run()
	e.stop()
	for _, secret := range e.opts.Secrets {
		if strings.Contains(e.Logs.String(), secret) {
			fmt.Fprintf(os.Stderr, "FAIL: the controllers logged a secret (%q):\n%s\n", secret, e.Logs.String())
			code = 1
		}
	}
	return code
}

// StartManager runs another manager of ferry's controllers for the rest of
// t, built by controller.NewManager with opts; the empty fields are filled as
// for Options.Manager, in t's own directory.
func (e *Env) StartManager(t testing.TB, opts controller.Options) *controller.Manager {
	t.Helper()
	mgr, stop, err := e.startManager(opts, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Error(err)
		}
	})
	return mgr
}

// startManager builds and starts a manager whose storage and temporary
// files are in dir; stop stops it and reports how it ended.
func (e *Env) startManager(opts controller.Options, dir string) (mgr *controller.Manager, stop func() error, err error) {
	if opts.StoragePath == "" {
		opts.StoragePath = filepath.Join(dir, "artifacts")
	}
	if opts.TempDir == "" {
		opts.TempDir = dir
	}
	if opts.StorageAddr == "" {
		opts.StorageAddr = "127.0.0.1:0"
	}
	if opts.MetricsAddr == "" {
		opts.MetricsAddr = "0"
	}
	if opts.HealthAddr == "" {
		opts.HealthAddr = "0"
	}
	ctx, cancel := context.WithCancel(context.Background())
	mgr, err = controller.NewManager(ctx, e.Config, opts)
	if err != nil {
		cancel()
		return nil, nil, fmt.Errorf("creating the manager: %w", err)
	}
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	return mgr, func() error {
		cancel()
		if err := <-done; err != nil {
			return fmt.Errorf("manager: %w", err)
		}
		return nil
	}, nil
}

// onStop records how to undo a step of start.
func (e *Env) onStop(f func() error) { e.stops = append(e.stops, f) }

// stop undoes what start did, last first; what goes wrong is printed, as
// the tests have run.
func (e *Env) stop() {
	for i := len(e.stops) - 1; i >= 0; i-- {
		if err := e.stops[i](); err != nil {
			fmt.Fprintln(os.Stderr, "testenv:", err)
		}
	}
	e.stops = nil
}
