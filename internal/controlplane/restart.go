package controlplane

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// restartStopWait bounds a graceful stop of RestartAPIServer: kube-apiserver
// closes its listener and connections at once on SIGTERM, then lingers
// (15 s and more here) after logging that its controllers shut down.
const restartStopWait = 5 * time.Second

// RestartAPIServer stops kube-apiserver and starts it again with the same
// flags, certificates, port and etcd, then returns once it is ready: what
// a rolling upgrade of a cluster's API server, or its crash, looks like to
// ferry. kill stops it with SIGKILL (a crash); otherwise SIGTERM (a
// graceful shutdown), then SIGKILL after restartStopWait. Clients keep
// working across it: the admin credentials stay valid. Linux only (it reads
// the running server's command line from /proc).
func (c *ControlPlane) RestartAPIServer(ctx context.Context, kill bool) error {
	c.restartMu.Lock()
	defer c.restartMu.Unlock()
	if c.plane == nil {
		return errors.New("control plane is not started")
	}
	args := c.apiArgs
	if c.apiProc == nil {
		// Still the process envtest started: find it by its port.
		pid, argv, err := findAPIServer(c.plane.APIServer.SecureServing.Port)
		if err != nil {
			return err
		}
		args = argv[1:]
		p, err := os.FindProcess(pid)
		if err != nil {
			return err
		}
		sig := syscall.SIGTERM
		if kill {
			sig = syscall.SIGKILL
		}
		_ = p.Signal(sig)
		if err := waitGone(pid, restartStopWait); err != nil {
			_ = p.Signal(syscall.SIGKILL)
			if err := waitGone(pid, processStopTimeout); err != nil {
				return err
			}
		}
	} else {
		if kill {
			_ = signalGroup(c.apiProc.cmd.Process, true)
			<-c.apiProc.done
		} else if err := c.apiProc.stop(restartStopWait); err != nil {
			return err
		}
	}
	// The port may stay taken for a moment by the old server's
	// connections: start again while the new one exits for that reason.
	deadline := time.Now().Add(processStopTimeout)
	for {
		c.restarts++
		p, err := c.startProcess(fmt.Sprintf("kube-apiserver-%d", c.restarts), c.apiLauncher, args, nil)
		if err != nil {
			return err
		}
		c.apiProc, c.apiArgs = p, args
		err = waitServing(ctx, c, p)
		if err == nil {
			return nil
		}
		if !errors.Is(err, errExited) || !strings.Contains(tailFile(p.logPath, 5), "address already in use") || time.Now().After(deadline) {
			return err
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// errExited says the restarted kube-apiserver exited.
var errExited = errors.New("kube-apiserver exited")

// waitServing waits until the kube-apiserver p serves, or exits.
func waitServing(ctx context.Context, c *ControlPlane, p *process) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	go func() {
		select {
		case <-p.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	err := waitReadyz(ctx, c.Config)
	if exited := p.exitErr(); exited != nil {
		return fmt.Errorf("%w: %w", errExited, exited)
	}
	if err != nil {
		return fmt.Errorf("kube-apiserver is not serving after its restart: %w\nkube-apiserver log:\n%s", err, tailFile(p.logPath, 20))
	}
	return nil
}

// findAPIServer returns the pid and command line of the kube-apiserver
// serving on port.
func findAPIServer(port string) (int, []string, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, nil, fmt.Errorf("finding kube-apiserver: %w", err)
	}
	want := "--secure-port=" + port
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		data, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || len(data) == 0 {
			continue
		}
		argv := strings.Split(string(bytes.TrimRight(data, "\x00")), "\x00")
		if filepath.Base(argv[0]) != apiServerBin {
			continue
		}
		for _, a := range argv[1:] {
			if a == want {
				return pid, argv, nil
			}
		}
	}
	return 0, nil, fmt.Errorf("no kube-apiserver process serves on port %s", port)
}

// waitGone waits until process pid has exited (its /proc entry is gone or
// a zombie).
func waitGone(pid int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		data, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
		if err != nil {
			return nil
		}
		// The state follows the command name in parentheses.
		if i := bytes.LastIndexByte(data, ')'); i >= 0 && i+2 < len(data) && data[i+2] == 'Z' {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("kube-apiserver (pid %d) did not exit within %s", pid, timeout)
}

// waitReadyz waits until kube-apiserver answers /readyz: every post-start
// hook has run, so that a graceful stop right after is not held up by the
// bootstrap of its roles and priority classes.
func waitReadyz(ctx context.Context, cfg *rest.Config) error {
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("failed to create a client: %w", err)
	}
	for {
		_, err := cs.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("/readyz not OK: %w (last error: %v)", ctx.Err(), err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
