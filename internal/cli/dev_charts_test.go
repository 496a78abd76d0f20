package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferrycd/ferry/internal/testenv"
)

// TestDevChartsPush checks what ferry dev prints about its charts: the
// registry, each chart pushed, a broken chart with its directory and
// reason while the others are still pushed, nothing for a push that changed
// nothing, and a chart whose version moved.
func TestDevChartsPush(t *testing.T) {
	dir := t.TempDir()
	write := func(rel, content string) {
		t.Helper()
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("app/Chart.yaml", "apiVersion: v2\nname: app\nversion: 1.0.0\n")
	write("app/templates/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n")
	write("broken/Chart.yaml", "apiVersion: v2\nname: broken\n")
	write("notes/README.md", "not a chart\n")

	var errOut testenv.Buffer
	g := &globals{errOut: &errOut}
	ctx := context.Background()
	d, err := g.startDevCharts(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.reg.Close()
	got := errOut.String()
	mustContain(t, "output", got,
		"✔ chart registry running at oci://127.0.0.1:",
		"(FERRY_DEV_REGISTRY="+d.reg.Host()+")",
		"✔ pushed chart app 1.0.0 from "+displayPath(filepath.Join(dir, "app"))+"\n",
		"✗ chart "+filepath.Join(dir, "broken")+": ")
	if strings.Contains(got, "notes") {
		t.Errorf("a directory without Chart.yaml was taken for a chart:\n%s", got)
	}
	if want := "charts: " + d.reg.URL() + " (1 chart)"; d.summary() != want {
		t.Errorf("summary %q, want %q", d.summary(), want)
	}

	// Pushing the same charts again prints only the broken one.
	before := len(errOut.String())
	g.pushDevCharts(ctx, d, "HEAD is now 1234567")
	if again := errOut.String()[before:]; strings.Contains(again, "pushed") || !strings.Contains(again, "✗ chart ") {
		t.Errorf("a push that changed nothing printed:\n%s", again)
	}

	// A new version is printed with the reason.
	write("app/Chart.yaml", "apiVersion: v2\nname: app\nversion: 1.1.0\n")
	before = len(errOut.String())
	g.pushDevCharts(ctx, d, "HEAD is now 1234567")
	mustContain(t, "output", errOut.String()[before:], "✔ pushed chart app 1.1.0 from "+displayPath(filepath.Join(dir, "app"))+" (HEAD is now 1234567)\n")
}
