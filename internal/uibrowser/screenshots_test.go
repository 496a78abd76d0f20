package uibrowser

import (
	"context"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/client"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/internal/testenv"
)

// TestScreenshots loads the main pages of a small fleet (Ready, failing
// and suspended Kustomizations in two namespaces) and takes their
// screenshots; with FERRY_UI_SCREENSHOTS=1 (`make ui-screenshots`, which
// runs this test alone so that no other test's objects show) they are
// written to docs/ui/.
func TestScreenshots(t *testing.T) {
	u := newUI(t)
	shop := fixtureIn(t, "shop", appFiles("info"))
	gitRepository(shop)
	kustomization(shop, "frontend", "./deploy")
	kustomization(shop, "backend", "./deploy")
	kustomization(shop, "payments", "./payments")
	monitoring := fixtureIn(t, "monitoring", appFiles("warn"))
	gitRepository(monitoring)
	kustomization(monitoring, "prometheus", "./deploy")
	kustomization(monitoring, "grafana", "./deploy")
	ready(shop, "frontend")
	ready(shop, "backend")
	failed(shop, "payments")
	ready(monitoring, "prometheus")
	grafana := ready(monitoring, "grafana")
	patch := client.MergeFrom(grafana.DeepCopy())
	grafana.Spec.Suspend = true
	if err := env.Client.Patch(context.Background(), grafana, patch); err != nil {
		t.Fatal(err)
	}
	testenv.WaitFor(t, env.Client, testenv.Key("monitoring", "grafana"), "suspended", func(ks *kustomizev1.Kustomization) bool { return ks.Spec.Suspend })

	tb := NewTab(t)
	tb.Open(u.Admin + "/")
	tb.WaitText("table.failing", "shop/payments")
	tb.WaitText("table.counts", "Kustomizations")
	tb.Screenshot("overview")

	tb.Open(u.Admin + "/k/Kustomization?sort=status")
	tb.WaitHas("table.rows tr.row-suspended")
	tb.WaitRow("table.rows", "shop", "payments", "kustomization path not found")
	tb.Screenshot("kustomizations")

	tb.Open(u.Admin + "/o/Kustomization/shop/frontend")
	tb.WaitText("section[aria-labelledby=inventory-h]", "web-settings")
	tb.WaitText("section[aria-labelledby=events-h]", "ReconciliationSucceeded")
	tb.Screenshot("kustomization")

	tb.Open(u.Admin + "/o/Kustomization/shop/payments")
	tb.WaitText("section[aria-labelledby=events-h]", "ArtifactFailed")
	tb.Screenshot("kustomization-failing")
}
