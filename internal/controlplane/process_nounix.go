//go:build !unix

package controlplane

import (
	"os"
	"syscall"
)

func sysProcAttr() *syscall.SysProcAttr { return nil }

// signalGroup kills p; process groups are a Unix notion.
func signalGroup(p *os.Process, _ bool) error { return p.Kill() }
