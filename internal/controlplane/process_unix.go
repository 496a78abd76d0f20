//go:build unix

package controlplane

import (
	"os"
	"syscall"
)

// signalGroup sends SIGTERM, or SIGKILL when kill, to the process group led
// by p.
func signalGroup(p *os.Process, kill bool) error {
	sig := syscall.SIGTERM
	if kill {
		sig = syscall.SIGKILL
	}
	if err := syscall.Kill(-p.Pid, sig); err != nil {
		if err == syscall.ESRCH {
			return os.ErrProcessDone
		}
		return err
	}
	return nil
}
