package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

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
		"--receiver-address", "0", // no fixed port; a scenario that needs it sets its own
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
