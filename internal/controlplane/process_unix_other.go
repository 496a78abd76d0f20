//go:build unix && !linux

package controlplane

import "syscall"

// sysProcAttr puts a process in its own process group.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
