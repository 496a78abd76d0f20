package controlplane

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// TestEnsureBinaries builds (first run only) or finds the API-only binaries
// from two goroutines at once: both must return the same complete directory.
func TestEnsureBinaries(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the control plane binaries on first run")
	}
	ctx := context.Background()
	var wg sync.WaitGroup
	dirs := make([]string, 2)
	errs := make([]error, 2)
	for i := range dirs {
		wg.Go(func() {
			dirs[i], errs[i] = EnsureBinaries(ctx, testWriter{t}, false)
		})
	}
	wg.Wait()
	for i := range dirs {
		if errs[i] != nil {
			t.Fatalf("EnsureBinaries: %v", errs[i])
		}
	}
	if dirs[0] != dirs[1] {
		t.Fatalf("EnsureBinaries returned %q and %q", dirs[0], dirs[1])
	}
	for _, f := range []string{etcdBin, apiServerBin} {
		if _, err := os.Stat(filepath.Join(dirs[0], f)); err != nil {
			t.Errorf("missing %s: %v", f, err)
		}
	}
}

// testWriter sends progress messages to the test log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// TestEnsureBinariesAssets uses KUBEBUILDER_ASSETS when it holds the files
// the shape needs.
func TestEnsureBinariesAssets(t *testing.T) {
	assets := t.TempDir()
	for _, f := range []string{etcdBin, apiServerBin} {
		if err := os.WriteFile(filepath.Join(assets, f), nil, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("KUBEBUILDER_ASSETS", assets)
	dir, err := EnsureBinaries(context.Background(), nil, false)
	if err != nil {
		t.Fatal(err)
	}
	if dir != assets {
		t.Errorf("EnsureBinaries = %q, want KUBEBUILDER_ASSETS %q", dir, assets)
	}
	if missing := missingFiles(assets, simSet.files()); len(missing) != len(simSet.files()) {
		t.Errorf("missingFiles = %q, want all of %q", missing, simSet.files())
	}
}
