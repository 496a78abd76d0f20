package faults_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/ferrycd/ferry/internal/cli"
	"github.com/ferrycd/ferry/internal/testenv"
)

// The suite has one simulated control plane (Deployments become Available,
// or never do) and no in-process controllers: ferry runs as a child process
// the tests kill and start again.
var env *testenv.Env

const (
	// childEnv makes the test binary run ferry's command line instead of
	// the tests: the child process is this binary, running `ferry
	// controller` exactly as cmd/ferry's main does, with no separate build.
	childEnv = "FERRY_CRASH_CHILD"
	// binaryEnv names a ferry binary to run as the child instead (e.g. one
	// built with `go build -o /tmp/ferry ./cmd/ferry`).
	binaryEnv = "FERRY_CRASH_BINARY"
)

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		os.Exit(runFerry())
	}
	env = testenv.Start(testenv.Options{Simulated: true, GitServer: true})
	os.Exit(env.Run(m))
}

// runFerry is cmd/ferry's main.
func runFerry() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return cli.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
}

// controllers starts and kills `ferry controller` child processes, one at a
// time, all with the same flags (the same storage directory and artifact
// server address), and keeps each one's log.
type controllers struct {
	// dir holds the children's logs.
	dir string
	// args are the flags of `ferry controller` besides the kubeconfig,
	// the probes and the log format.
	args []string

	logs    []string
	current *child
	// all are every child started, for the cleanup.
	all []*child
}

// child is one `ferry controller` process.
type child struct {
	cmd    *exec.Cmd
	log    string
	exited chan struct{}

	mu  sync.Mutex
	err error
}

// newControllers prepares to run `ferry controller` with args (e.g.
// "--controllers", "helmrelease", "--storage-path", ...); it kills the
// running children when t ends and, when t failed, prints the tail of
// every child's log.
func newControllers(t *testing.T, dir string, args ...string) *controllers {
	c := &controllers{dir: dir, args: args}
	t.Cleanup(func() {
		for _, ch := range c.all {
			ch.kill()
		}
		if t.Failed() {
			for _, l := range c.logs {
				t.Logf("tail of %s:\n%s", filepath.Base(l), tail(l, 40))
			}
		}
	})
	return c
}

// start starts a new child; the previous one must have been killed.
func (c *controllers) start(t *testing.T) *child {
	t.Helper()
	if c.current != nil {
		select {
		case <-c.current.exited:
		default:
			t.Fatal("a ferry controller is still running")
		}
	}
	c.current = c.startAnother(t)
	return c.current
}

// startAnother starts a child beside the running ones (the replicas of a
// leader election test); current stays what it was.
func (c *controllers) startAnother(t *testing.T, extra ...string) *child {
	t.Helper()
	command, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if b := os.Getenv(binaryEnv); b != "" {
		command = b
	}
	logPath := filepath.Join(c.dir, fmt.Sprintf("ferry-%d.log", len(c.logs)+1))
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	args := append([]string{"controller",
		"--kubeconfig", env.Kubeconfig,
		"--metrics-addr", "0",
		"--health-addr", "0",
		"--log-dev",
	}, c.args...)
	cmd := exec.Command(command, append(args, extra...)...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.Env = append(os.Environ(), childEnv+"=1")
	// Its own process group, and killed by the kernel if the test dies.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting ferry controller: %v", err)
	}
	ch := &child{cmd: cmd, log: logPath, exited: make(chan struct{})}
	go func() {
		err := cmd.Wait()
		ch.mu.Lock()
		ch.err = err
		ch.mu.Unlock()
		close(ch.exited)
	}()
	c.logs = append(c.logs, logPath)
	c.all = append(c.all, ch)
	return ch
}

// kill sends SIGKILL to the child and waits until it is gone.
func (ch *child) kill() {
	_ = ch.cmd.Process.Signal(syscall.SIGKILL)
	<-ch.exited
}

// check fails t when the child exited on its own.
func (ch *child) check(t *testing.T, what string) {
	t.Helper()
	select {
	case <-ch.exited:
		ch.mu.Lock()
		defer ch.mu.Unlock()
		t.Fatalf("ferry controller exited (%v) while waiting for %s; its log ends with:\n%s", ch.err, what, tail(ch.log, 40))
	default:
	}
}

// wait polls cond as testenv.Eventually does, failing at once when the
// child exits.
func (ch *child) wait(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	testenv.Eventually(t, what, func() (bool, string) {
		ch.check(t, what)
		return cond()
	})
}

// tail returns the last n lines of a file.
func tail(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
