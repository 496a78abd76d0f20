package helmchart_test

import (
	"testing"

	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/helm/helmtest"
	"github.com/ferrycd/ferry/internal/testenv"
)

// TestChartFromOCIRegistry resolves a range among an OCI registry's tags
// and pulls the newest match over plain HTTP (spec.insecure).
func TestChartFromOCIRegistry(t *testing.T) {
	ns := newNamespace(t)
	registry := helmtest.NewRegistry(t)
	registry.Push(t, helmtest.Chart{Name: "app", Version: "0.1.0"})
	registry.Push(t, helmtest.Chart{Name: "app", Version: "0.2.0"})
	registry.Push(t, helmtest.Chart{Name: "app", Version: "1.0.0"})
	create(t, newHelmRepository(ns, "oci", registry.URL()))
	create(t, newHelmChart(ns, "app", sourcev1.HelmRepositoryKind, "oci", "app", func(hc *sourcev1.HelmChart) {
		hc.Spec.Version = "<1.0.0"
	}))

	hc := waitFor(t, testenv.Key(ns, "app"), "Ready with 0.2.0", readyWith("0.2.0"))
	if c := cond(hc, meta.ReadyCondition); c.Reason != sourcev1.ChartPullSucceededReason {
		t.Errorf("Ready = %s: %s", c.Reason, c.Message)
	}
	if ch := storedChart(t, hc); ch.Name() != "app" || ch.Metadata.Version != "0.2.0" {
		t.Errorf("stored chart = %s %s", ch.Name(), ch.Metadata.Version)
	}
}
