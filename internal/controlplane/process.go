package controlplane

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// process is a server process started by the plane (the simulation side;
// envtest runs etcd and kube-apiserver). It runs in its own process group,
// is killed if the starting process dies (Linux), and logs to a file.
type process struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	done    chan struct{}
	waitErr error // set before done is closed
}

// startProcess starts path with args, logging to <LogDir>/<name>.log.
// extraEnv is appended to the environment of this process.
func (c *ControlPlane) startProcess(name, path string, args, extraEnv []string) (*process, error) {
	log, err := c.logFile(name)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(path, args...)
	cmd.Stdout = log
	cmd.Stderr = log
	cmd.Env = append(os.Environ(), extraEnv...)
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		_ = log.Close()
		return nil, fmt.Errorf("failed to start %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, logPath: log.Name(), done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		_ = log.Close()
		close(p.done)
	}()
	c.procs = append(c.procs, p)
	return p, nil
}

// exitErr returns an error naming the process and its log tail if it has
// exited, nil while it runs.
func (p *process) exitErr() error {
	select {
	case <-p.done:
	default:
		return nil
	}
	status := "exited"
	if p.waitErr != nil {
		status = p.waitErr.Error()
	}
	return fmt.Errorf("%s stopped unexpectedly (%s); last log lines:\n%s", p.name, status, tailFile(p.logPath, 20))
}

// stop asks the process group to terminate, waits up to timeout, then kills
// the group and waits for the process to be reaped.
func (p *process) stop(timeout time.Duration) error {
	select {
	case <-p.done:
		return nil
	default:
	}
	_ = signalGroup(p.cmd.Process, false)
	select {
	case <-p.done:
		return nil
	case <-time.After(timeout):
	}
	if err := signalGroup(p.cmd.Process, true); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("failed to kill %s: %w", p.name, err)
	}
	<-p.done
	return nil
}

// launcher returns the path envtest should run for the binary at path. On
// Linux with setpriv(1) it is a wrapper that sets the parent-death signal
// (SIGKILL) before executing the binary, so that etcd and kube-apiserver die
// with the process that started them (say, a test binary killed by its
// -timeout) instead of lingering; envtest itself does not set it.
func (c *ControlPlane) launcher(path string) (string, error) {
	setpriv := pdeathsigLauncher()
	if setpriv == "" {
		return path, nil
	}
	dir := filepath.Join(c.workDir, "bin")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("failed to create the launcher directory: %w", err)
	}
	script := fmt.Sprintf("#!/bin/sh\nexec %s --pdeathsig KILL -- %s \"$@\"\n", shellQuote(setpriv), shellQuote(path))
	wrapper := filepath.Join(dir, filepath.Base(path))
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		return "", fmt.Errorf("failed to write the launcher of %s: %w", filepath.Base(path), err)
	}
	// A temporary directory mounted noexec cannot hold the wrapper: run the
	// binary directly then.
	probe := filepath.Join(dir, "probe")
	if err := os.WriteFile(probe, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		return "", fmt.Errorf("failed to write the launcher probe: %w", err)
	}
	if err := exec.Command(probe).Run(); err != nil {
		return path, nil
	}
	return wrapper, nil
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
