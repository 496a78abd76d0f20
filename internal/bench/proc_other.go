//go:build !linux

package bench

import (
	"errors"
	"syscall"
)

func sysProcAttr() *syscall.SysProcAttr { return nil }

func memoryOf(int) (peak, current, anon int64, err error) {
	return 0, 0, 0, errors.New("memory figures need Linux's /proc")
}

func cpuSecondsOf(int) (float64, error) {
	return 0, errors.New("CPU figures need Linux's /proc")
}

func loadAverage() string { return "unknown" }
