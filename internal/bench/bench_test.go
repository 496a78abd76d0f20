package bench_test

import (
	"context"
	"encoding/json"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/ferrycd/ferry/internal/bench"
	"github.com/ferrycd/ferry/internal/cli"
)

// asFerry, set in the environment, makes the test binary act as the ferry
// command: the benchmark runs its own executable as `ferry controller`,
// which under `go test` is this binary.
const asFerry = "FERRY_BENCH_TEST_AS_FERRY"

func TestMain(m *testing.M) {
	if os.Getenv(asFerry) == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := cli.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	os.Exit(m.Run())
}

func TestBenchKustomizations(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a simulated cluster")
	}
	t.Setenv(asFerry, "1") // inherited by the controller process only
	out := filepath.Join(t.TempDir(), "bench.json")
	var stdout, stderr strings.Builder
	code := cli.Main(context.Background(), []string{"bench", "kustomizations", "--count", "3", "--out", out,
		"--timeout", "5m"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit code %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
	t.Logf("\n%s", stdout.String())

	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var res bench.Result
	if err := json.Unmarshal(data, &res); err != nil {
		t.Fatal(err)
	}
	if res.Count != 3 || res.Objects != 12 {
		t.Errorf("count %d, objects %d; want 3 and 12", res.Count, res.Objects)
	}
	if res.Rewritten != 0 {
		t.Errorf("the no-change pass rewrote %d objects: %v", res.Rewritten, res.RewrittenObjects)
	}
	if res.FirstApply <= 0 || res.NoChange <= 0 {
		t.Errorf("missing durations: %+v", res)
	}
	if res.PeakRSS <= 0 {
		t.Errorf("no peak RSS measured: %+v", res)
	}
	checkOneCommit(t, &res)
	checkFloor(t, &res)
	for _, want := range []string{"KUSTOMIZATIONS", "PEAK RSS", "REWRITTEN", "one commit to app-0001", "× the floor"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("the table has no %s column:\n%s", want, stdout.String())
		}
	}
}

// checkOneCommit checks the figures of the one-commit scenario: the change
// to one app reached it and every Kustomization, and the rewritten objects
// are counted (the changed ConfigMap at least).
func checkOneCommit(t *testing.T, res *bench.Result) {
	t.Helper()
	c := res.OneCommit
	if c == nil {
		t.Fatal("no one-commit figures")
	}
	if c.App != "app-0001" || len(c.Revision) != 40 {
		t.Errorf("one commit: app %q, revision %q", c.App, c.Revision)
	}
	if c.Artifact <= 0 || c.AppApplied <= 0 || c.AllAtRevision < c.AppApplied || c.CPU <= 0 {
		t.Errorf("one commit: missing or inconsistent figures: %+v", c)
	}
	if c.Rewritten < 1 || !slices.Contains(c.RewrittenObjects, "ConfigMap/app-0001") {
		t.Errorf("one commit: the changed ConfigMap is not among the %d rewritten objects %v", c.Rewritten, c.RewrittenObjects)
	}
}

// checkFloor checks that the floor was measured at every default
// concurrency and that the first apply is stated as a multiple of it.
func checkFloor(t *testing.T, res *bench.Result) {
	t.Helper()
	f := res.Floor
	if f == nil {
		t.Fatal("no floor")
	}
	if len(f.Rounds) != len(bench.DefaultFloorConcurrency) {
		t.Errorf("the floor has %d rounds, want %d: %+v", len(f.Rounds), len(bench.DefaultFloorConcurrency), f.Rounds)
	}
	for _, r := range f.Rounds {
		if r.Apply <= 0 || r.Healthy < r.Apply {
			t.Errorf("floor round at concurrency %d: applied %s, healthy %s", r.Concurrency, r.Apply, r.Healthy)
		}
		if r.Healthy < f.Healthy {
			t.Errorf("the floor (%s) is not the fastest round: %+v", f.Healthy, r)
		}
	}
	if f.Concurrency < 1 || f.Healthy <= 0 || res.FloorMultiple <= 0 {
		t.Errorf("floor: concurrency %d, healthy %s, first apply %.2f× the floor", f.Concurrency, f.Healthy, res.FloorMultiple)
	}
}

func TestManifests(t *testing.T) {
	files := bench.Manifests(2)
	if len(files) != 2 {
		t.Fatalf("%d files, want 2", len(files))
	}
	m := files["apps/app-0001/manifests.yaml"]
	for _, want := range []string{"kind: Deployment", "replicas: 0", "kind: ServiceAccount", "kind: Service\n", "kind: ConfigMap", "name: app-0001"} {
		if !strings.Contains(m, want) {
			t.Errorf("manifests lack %q:\n%s", want, m)
		}
	}
	if strings.Contains(m, "NAME") {
		t.Errorf("a placeholder was left:\n%s", m)
	}
}
