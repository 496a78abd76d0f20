//go:build !linux

package controlplane

// pdeathsigLauncher returns "": the parent-death signal is Linux only.
func pdeathsigLauncher() string { return "" }
