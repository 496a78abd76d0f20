package controlplane

import (
	"os/exec"
	"strings"
	"sync"
	"syscall"
)

// sysProcAttr puts a process in its own group and has the kernel kill it
// when the thread that started it exits.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

var pdeathsigLauncher = sync.OnceValue(func() string {
	p, err := exec.LookPath("setpriv")
	if err != nil {
		return ""
	}
	out, err := exec.Command(p, "--help").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--pdeathsig") {
		return ""
	}
	return p
})
