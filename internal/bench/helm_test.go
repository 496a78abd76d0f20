package bench_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/common/util"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"helm.sh/helm/v4/pkg/engine"

	"github.com/ferrycd/ferry/internal/bench"
	"github.com/ferrycd/ferry/internal/cli"
)

func TestBenchHelmReleases(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a simulated cluster")
	}
	t.Setenv(asFerry, "1") // inherited by the controller process only
	out := filepath.Join(t.TempDir(), "bench.json")
	var stdout, stderr strings.Builder
	code := cli.Main(context.Background(), []string{"bench", "helmreleases", "--count", "3", "--out", out,
		"--timeout", "5m"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit code %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
	t.Logf("\n%s", stdout.String())

	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var res bench.HelmResult
	if err := json.Unmarshal(data, &res); err != nil {
		t.Fatal(err)
	}
	if res.Count != 3 || res.Objects != 6 {
		t.Errorf("count %d, objects %d; want 3 and 6", res.Count, res.Objects)
	}
	if res.ReleaseSecrets != 3 {
		t.Errorf("%d Helm release Secrets after the install, want 3 (one revision per release)", res.ReleaseSecrets)
	}
	if res.NewRevisions != 0 {
		t.Errorf("the no-change pass created %d release revisions: %v", res.NewRevisions, res.NewRevisionSecrets)
	}
	if res.Rewritten != 0 {
		t.Errorf("the no-change pass rewrote %d objects: %v", res.Rewritten, res.RewrittenObjects)
	}
	if res.AllReady <= 0 || res.NoChange <= 0 {
		t.Errorf("missing durations: %+v", res)
	}
	if res.PeakRSS <= 0 || res.AllReadyCPU <= 0 {
		t.Errorf("no peak RSS or CPU time measured: %+v", res)
	}
	for _, want := range []string{"HELMRELEASES", "PEAK RSS", "NEW REVISIONS", "NO-CHANGE PASS"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("the table has no %s column:\n%s", want, stdout.String())
		}
	}
}

func TestBenchChart(t *testing.T) {
	c := bench.BenchChart()
	data, err := c.Archive()
	if err != nil {
		t.Fatal(err)
	}
	ch, err := loader.LoadArchive(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	vals, err := util.ToRenderValues(ch, map[string]any{"replicas": 0},
		common.ReleaseOptions{Name: "app-0001", Namespace: bench.TargetNamespace}, nil)
	if err != nil {
		t.Fatal(err)
	}
	rendered, err := engine.Render(ch, vals)
	if err != nil {
		t.Fatal(err)
	}
	deployment := rendered[bench.HelmChartName+"/templates/deployment.yaml"]
	for _, want := range []string{"kind: Deployment", "name: app-0001", "replicas: 0", "cpu: 10m"} {
		if !strings.Contains(deployment, want) {
			t.Errorf("the Deployment lacks %q:\n%s", want, deployment)
		}
	}
	service := rendered[bench.HelmChartName+"/templates/service.yaml"]
	for _, want := range []string{"kind: Service", "name: app-0001", "port: 80"} {
		if !strings.Contains(service, want) {
			t.Errorf("the Service lacks %q:\n%s", want, service)
		}
	}
}
