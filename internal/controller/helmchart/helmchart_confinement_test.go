package helmchart_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/helm/helmtest"
	"github.com/ferrycd/ferry/internal/testenv"
)

// TestChartPathEscape refuses a chart path leaving the artifact, and reads
// nothing a symlink points to outside it.
func TestChartPathEscape(t *testing.T) {
	ns := newNamespace(t)
	outside := t.TempDir()
	helmtest.Chart{Name: "outside", Version: "6.6.6"}.WriteDir(t, filepath.Join(outside, "chart"))
	writeFile(t, outside, "secret.yaml", "password: LEAKED\n")
	newGitSource(t, ns, func(dir string) {
		helmtest.Chart{Name: "app", Version: "0.1.0"}.WriteDir(t, filepath.Join(dir, "charts/app"))
		for target, link := range map[string]string{
			filepath.Join(outside, "chart"):       "charts/escape",
			filepath.Join(outside, "secret.yaml"): "charts/app/templates/leak.yaml",
			"app":                                 "charts/current",
		} {
			if err := os.Symlink(target, filepath.Join(dir, link)); err != nil {
				t.Fatal(err)
			}
		}
	})

	// "..": refused, Stalled, and the message says why.
	create(t, newHelmChart(ns, "dotdot", sourcev1.GitRepositoryKind, "source", "../../chart"))
	hc := waitFor(t, testenv.Key(ns, "dotdot"), "stalled", failedWith("InvalidChartReference", true))
	if msg := cond(hc, meta.ReadyCondition).Message; !strings.Contains(msg,
		"spec.chart '../../chart' must stay inside the GitRepository artifact") {
		t.Errorf("Ready message = %q", msg)
	}

	// An absolute path, the same.
	create(t, newHelmChart(ns, "absolute", sourcev1.GitRepositoryKind, "source", filepath.Join(outside, "chart")))
	hc = waitFor(t, testenv.Key(ns, "absolute"), "stalled", failedWith("InvalidChartReference", true))
	if msg := cond(hc, meta.ReadyCondition).Message; !strings.Contains(msg, "is absolute") {
		t.Errorf("Ready message = %q", msg)
	}

	// A symlink out of the repository never reaches the artifact: the chart
	// it names is not there.
	create(t, newHelmChart(ns, "symlink", sourcev1.GitRepositoryKind, "source", "charts/escape"))
	hc = waitFor(t, testenv.Key(ns, "symlink"), "stalled", failedWith("InvalidChartReference", true))
	if msg := cond(hc, meta.ReadyCondition).Message; !strings.Contains(msg, "chart directory 'charts/escape' not found in the source artifact") {
		t.Errorf("Ready message = %q", msg)
	}

	// A symlink inside the artifact is followed; the one to a file outside
	// is not packaged.
	create(t, newHelmChart(ns, "app", sourcev1.GitRepositoryKind, "source", "charts/current"))
	hc = waitFor(t, testenv.Key(ns, "app"), "Ready with 0.1.0", readyWith("0.1.0"))
	for _, f := range storedChart(t, hc).Raw {
		if strings.Contains(string(f.Data), "LEAKED") {
			t.Errorf("%s packaged content from outside the artifact", f.Name)
		}
	}
}
