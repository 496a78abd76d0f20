package uibrowser

import (
	"context"
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/internal/testenv"
)

// TestScreenshots loads the main pages of a small fleet (Ready, failing
// and suspended Kustomizations in two namespaces, and one applying two
// child Kustomizations in a third) and takes their
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
	// platform applies a ConfigMap and two child Kustomizations, web
	// depending on db: the inventory tree, the graph's dependsOn and
	// applies edges, and a trace of two managers.
	plat := fixtureIn(t, "platform", platformFiles("platform"))
	gitRepository(plat)
	kustomization(plat, "platform", "./platform")
	ready(plat, "platform")
	ready(plat, "db")
	ready(plat, "web")
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

	// The inventory tree with the health badges live.js fills.
	tb.Open(u.Admin + "/o/Kustomization/platform/platform")
	tb.WaitText("section[aria-labelledby=inventory-h]", "its inventory")
	tb.WaitFor("the health badges", func() (bool, string) {
		n := Eval[int](tb, `Array.from(document.querySelectorAll("[data-health-for]")).filter(b => b.textContent === "Current").length`)
		return n == 6, fmt.Sprint(n, " of 6")
	})
	Eval[bool](tb, `document.getElementById("inventory-h").scrollIntoView(), true`)
	tb.Screenshot("kustomization-tree")

	tb.Open(u.Admin + "/graph")
	tb.WaitHas(`svg a.g-node[href="/o/Kustomization/platform/web"]`)
	tb.Screenshot("graph")

	tb.Open(u.Admin + "/trace?apiVersion=v1&kind=ConfigMap&namespace=platform&name=db-settings")
	tb.WaitText("main ol.trace", "Kustomization platform/db", "Kustomization platform/platform")
	tb.Screenshot("trace")

	tb.Open(u.Admin + "/o/GitRepository/platform/app/files/platform/children.yaml")
	tb.WaitText("main pre.file", "dependsOn")
	tb.Screenshot("files")

	tb.Open(u.Admin + "/engine")
	tb.WaitRow("main table.controllers", "kustomization")
	tb.WaitHas("main table.runs")
	Eval[bool](tb, `document.getElementById("controllers-h").scrollIntoView(), true`)
	tb.Screenshot("engine")

	// A ConfigMap changed by hand: the diff shows it drifted.
	settings := &corev1.ConfigMap{}
	if err := env.Client.Get(context.Background(), testenv.Key("shop", "web-settings"), settings); err != nil {
		t.Fatal(err)
	}
	cmPatch := client.MergeFrom(settings.DeepCopy())
	settings.Data["LOG_LEVEL"] = "debug"
	if err := env.Client.Patch(context.Background(), settings, cmPatch); err != nil {
		t.Fatal(err)
	}
	tb.Open(u.Admin + "/o/Kustomization/shop/frontend/diff")
	tb.WaitText("main ul.changes", "ConfigMap/shop/web-settings")
	tb.Screenshot("diff")
}
