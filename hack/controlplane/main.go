// Command controlplane builds and caches the Kubernetes binaries that ferry's
// tests and `ferry dev` run (etcd, kube-apiserver, kube-controller-manager,
// kube-scheduler, kwok), so that no test spends its timeout on a cold build.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"

	"github.com/ferrycd/ferry/internal/controlplane"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	dir, err := controlplane.EnsureBinaries(ctx, os.Stderr, true)
	if err != nil {
		fmt.Fprintf(os.Stderr, "control plane binaries: %v\n", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "control plane binaries ready in %s\n", dir)
}
