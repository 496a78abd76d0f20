// Command ferry is a GitOps engine for Kubernetes that serves Flux's API.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/ferrycd/ferry/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
