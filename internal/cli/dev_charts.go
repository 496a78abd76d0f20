package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/chartregistry"
)

const (
	// devRegistryVar is the postBuild variable of the root Kustomization
	// that holds the chart registry's host:port.
	devRegistryVar = "FERRY_DEV_REGISTRY"
	// devVarsSecret is the Secret in the root Kustomization's namespace
	// whose keys are more postBuild variables, when it exists.
	devVarsSecret = "ferry-dev-vars"
	// devHeadPoll is how often the synced checkout's HEAD is looked at to
	// push the charts again after a commit.
	devHeadPoll = 2 * time.Second
)

// resolveCharts works out --charts: whether ferry dev runs its chart
// registry and the directory whose chart directories it pushes ("" for
// none). Unset, it is the charts/ directory of a local --sync directory,
// which need not exist; set to "", the registry is off; set to a path, that
// directory must exist.
func resolveCharts(o *devOptions) (dir string, enabled bool, err error) {
	if o.chartsSet {
		if o.charts == "" {
			return "", false, nil
		}
		if fi, err := os.Stat(o.charts); err != nil || !fi.IsDir() {
			return "", false, fmt.Errorf("--charts %s: not a directory", o.charts)
		}
		return o.charts, true, nil
	}
	if o.sync == "" || isRemoteURL(o.sync) || strings.HasPrefix(o.sync, sourcev1.OCIRepositoryPrefix) {
		return "", true, nil
	}
	return filepath.Join(o.sync, "charts"), true, nil
}

// devCharts is ferry dev's chart registry and what it pushed.
type devCharts struct {
	reg *chartregistry.Registry
	dir string
	// digests holds the manifest digest pushed last, by reference.
	digests map[string]string
}

// startDevCharts starts the registry and pushes the charts of dir.
func (g *globals) startDevCharts(ctx context.Context, dir string) (*devCharts, error) {
	reg, err := chartregistry.Start(chartregistry.Options{})
	if err != nil {
		return nil, err
	}
	d := &devCharts{reg: reg, dir: dir, digests: map[string]string{}}
	g.printf("✔ chart registry running at %s (%s=%s)", reg.URL(), devRegistryVar, reg.Host())
	if dir != "" {
		g.pushDevCharts(ctx, d, "")
	}
	return d, nil
}

// pushDevCharts pushes every chart directory of d.dir and prints the charts
// that are new or changed, and each chart that failed; why says what
// prompted the push again ("" at start).
func (g *globals) pushDevCharts(ctx context.Context, d *devCharts, why string) {
	pushed, err := d.reg.PushCharts(ctx, d.dir, chartregistry.PushOptions{})
	if ctx.Err() != nil {
		return // stopping
	}
	suffix := ""
	if why != "" {
		suffix = " (" + why + ")"
	}
	for _, p := range pushed {
		if d.digests[p.Ref] == p.Digest {
			continue
		}
		d.digests[p.Ref] = p.Digest
		g.printf("✔ pushed chart %s %s from %s%s", p.Name, p.Version, displayPath(p.Dir), suffix)
	}
	var joined interface{ Unwrap() []error }
	switch {
	case errors.As(err, &joined):
		for _, e := range joined.Unwrap() {
			g.printf("✗ %v", e)
		}
	case err != nil:
		g.printf("✗ %v", err)
	}
}

// summary is the line about the charts shown with the next steps.
func (d *devCharts) summary() string {
	n := len(d.digests)
	noun := "charts"
	if n == 1 {
		noun = "chart"
	}
	return fmt.Sprintf("charts: %s (%d %s)", d.reg.URL(), n, noun)
}

// watchHead pushes the charts again whenever the HEAD of the checkout at
// repo moves (a commit, a checkout, a reset), until ctx ends.
func (g *globals) watchHead(ctx context.Context, d *devCharts, repo string) {
	last, _ := gitOutput(repo, "rev-parse", "HEAD")
	t := time.NewTicker(devHeadPoll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		head, err := gitOutput(repo, "rev-parse", "HEAD")
		if err != nil || head == last {
			continue
		}
		last = head
		g.pushDevCharts(ctx, d, "HEAD is now "+shortSHA(head))
	}
}

func shortSHA(s string) string {
	if len(s) > 7 {
		return s[:7]
	}
	return s
}

// displayPath returns p relative to the working directory when it is
// inside it, else p.
func displayPath(p string) string {
	wd, err := os.Getwd()
	if err != nil {
		return p
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	rel, err := filepath.Rel(wd, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return abs
	}
	return rel
}
