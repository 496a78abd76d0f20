package bench_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferrycd/ferry/internal/bench"
	"github.com/ferrycd/ferry/internal/cli"
)

func TestBenchNotifications(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a simulated cluster")
	}
	t.Setenv(asFerry, "1") // inherited by the controller process only
	out := filepath.Join(t.TempDir(), "notifications.json")
	var stdout, stderr strings.Builder
	// 3 Kustomizations at 540 events a minute: a commit every second.
	code := cli.Main(context.Background(), []string{"bench", "notifications", "--count", "3", "--providers", "2",
		"--events-per-minute", "540", "--duration", "3s", "--out", out, "--timeout", "5m"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit code %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
	t.Logf("\n%s", stdout.String())

	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var res bench.NotificationResult
	if err := json.Unmarshal(data, &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Runs) != 2 || res.Runs[0].Alerts || !res.Runs[1].Alerts {
		t.Fatalf("runs %+v, want one without Alerts, then one with", res.Runs)
	}
	without, with := res.Runs[0], res.Runs[1]
	if without.Deliveries != 0 {
		t.Errorf("%d deliveries without Alerts", without.Deliveries)
	}
	// Every event of every commit reaches every Provider, once.
	if with.Commits != 3 || with.Deliveries != with.ExpectedDeliveries || with.ExpectedDeliveries != 3*3*3*2 || with.Duplicates != 0 {
		t.Errorf("with Alerts: %d commits, %d deliveries of %d expected, %d duplicates; reasons %v",
			with.Commits, with.Deliveries, with.ExpectedDeliveries, with.Duplicates, with.Reasons)
	}
	for _, run := range res.Runs {
		if run.Latency.Median <= 0 || run.RSSPeak <= 0 || run.GoroutinesPeak <= 0 || run.Window <= 0 {
			t.Errorf("missing figures: %+v", run)
		}
	}
	for _, want := range []string{"KUSTOMIZATIONS", "DELIVERED / EXPECTED", "GOROUTINES"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("the table has no %s column:\n%s", want, stdout.String())
		}
	}
}
