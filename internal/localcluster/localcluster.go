package localcluster

import (
	"context"
	"errors"
	"fmt"
	"io"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferrycd/ferry/config"
	"github.com/ferrycd/ferry/internal/controlplane"
	"github.com/ferrycd/ferry/internal/scheme"
)

// Options configures Start.
type Options struct {
	// Kubeconfig is the file the admin kubeconfig is written to.
	Kubeconfig string
	// Progress receives the control plane's progress lines, such as those
	// of a first build of its binaries; nil discards them.
	Progress io.Writer
}

// Cluster is a running local simulated cluster with ferry's CRDs
// installed. Stop it when done.
type Cluster struct {
	*controlplane.ControlPlane
	// Client talks to the cluster with ferry's scheme.
	Client client.Client
}

// Start starts the simulated control plane, writes its kubeconfig to
// opts.Kubeconfig and installs ferry's CRDs. When a step after the start
// fails, it stops the control plane before returning the error.
func Start(ctx context.Context, opts Options) (_ *Cluster, err error) {
	// Start the simulated control plane.
	cp, err := controlplane.Start(ctx, controlplane.Options{Simulated: true, Progress: opts.Progress})
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, cp.Stop())
		}
	}()

	// Write the kubeconfig for kubectl, ferry and the controller.
	if err := cp.WriteKubeconfig(opts.Kubeconfig); err != nil {
		return nil, fmt.Errorf("writing the kubeconfig: %w", err)
	}

	// Install ferry's CRDs.
	c, err := client.New(cp.Config, client.Options{Scheme: scheme.New()})
	if err != nil {
		return nil, fmt.Errorf("connecting to the cluster: %w", err)
	}
	if err := config.InstallCRDs(ctx, c); err != nil {
		return nil, err
	}
	return &Cluster{ControlPlane: cp, Client: c}, nil
}
