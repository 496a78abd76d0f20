package apply

import (
	"context"
	"flag"
	"fmt"
	"os"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferrycd/ferry/internal/controlplane"
	"github.com/ferrycd/ferry/internal/scheme"
)

// kube is a client of the control plane the integration tests share; nil
// with -short.
var kube client.Client

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if testing.Short() {
		return m.Run()
	}
	cp, err := controlplane.Start(context.Background(), controlplane.Options{Progress: os.Stderr})
	if err != nil {
		fmt.Fprintf(os.Stderr, "starting the control plane: %v\n", err)
		return 1
	}
	defer cp.Stop()
	kube, err = client.New(cp.Config, client.Options{Scheme: scheme.New()})
	if err != nil {
		fmt.Fprintf(os.Stderr, "creating a client: %v\n", err)
		return 1
	}
	return m.Run()
}

// needCluster skips a test that needs the control plane under -short.
func needCluster(t *testing.T) {
	t.Helper()
	if kube == nil {
		t.Skip("needs a control plane (not with -short)")
	}
}
