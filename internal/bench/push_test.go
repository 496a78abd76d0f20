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

func TestBenchReceiver(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a simulated cluster")
	}
	t.Setenv(asFerry, "1") // inherited by the controller process only
	out := filepath.Join(t.TempDir(), "receiver.json")
	var stdout, stderr strings.Builder
	code := cli.Main(context.Background(), []string{"bench", "receiver", "--pushes", "2", "--out", out,
		"--timeout", "2m"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit code %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
	t.Logf("\n%s", stdout.String())

	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var res bench.PushResult
	if err := json.Unmarshal(data, &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Series) != 2 || res.Series[0].Receiver != "generic" || res.Series[1].Receiver != "github" {
		t.Fatalf("series %+v, want generic then github", res.Series)
	}
	for _, s := range res.Series {
		if len(s.Samples) != 2 {
			t.Errorf("%s: %d pushes, want 2", s.Receiver, len(s.Samples))
		}
		for i, p := range s.Samples {
			// Each step comes after the one before it.
			steps := []struct {
				name string
				ok   bool
			}{
				{"hook after push start", p.Hook.After(p.PushStart)},
				{"answer after hook", !p.Answered.Before(p.Hook)},
				{"artifact after hook", p.Artifact.After(p.Hook)},
				{"applied after artifact", !p.Applied.Before(p.Artifact)},
			}
			for _, step := range steps {
				if !step.ok {
					t.Errorf("%s push %d: not %s: %+v", s.Receiver, i+1, step.name, p)
				}
			}
			if p.Code != "200" || p.Commit == "" {
				t.Errorf("%s push %d: code %q, commit %q", s.Receiver, i+1, p.Code, p.Commit)
			}
		}
		if s.HookToApplied.Median <= 0 || s.PushToApplied.Max < s.HookToApplied.Max {
			t.Errorf("%s: figures %+v", s.Receiver, s)
		}
	}
	for _, want := range []string{"RECEIVER", "hook → applied", "git push → applied"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("the table has no %q:\n%s", want, stdout.String())
		}
	}
}
