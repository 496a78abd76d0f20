package uibrowser

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ferrycd/ferry/internal/testenv"
)

// platformFiles are appFiles with platform/, which applies a ConfigMap
// and two child Kustomizations into ns: db (db/, one ConfigMap) and web
// (deploy/), which depends on db.
func platformFiles(ns string) map[string]string {
	files := appFiles("info")
	files["platform/kustomization.yaml"] = `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - info.yaml
  - children.yaml
`
	files["platform/info.yaml"] = `apiVersion: v1
kind: ConfigMap
metadata:
  name: platform-info
data:
  owner: platform-team
`
	files["platform/children.yaml"] = fmt.Sprintf(`apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: db
spec:
  interval: 1h
  retryInterval: 1h
  path: ./db
  prune: true
  targetNamespace: %[1]s
  sourceRef:
    kind: GitRepository
    name: app
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: web
spec:
  interval: 1h
  retryInterval: 1h
  path: ./deploy
  prune: true
  targetNamespace: %[1]s
  dependsOn:
    - name: db
  sourceRef:
    kind: GitRepository
    name: app
`, ns)
	files["db/kustomization.yaml"] = `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - db.yaml
`
	files["db/db.yaml"] = `apiVersion: v1
kind: ConfigMap
metadata:
  name: db-settings
data:
  POOL_SIZE: "10"
`
	return files
}

// platform commits platformFiles in f's repository and applies the
// Kustomization "platform" of platform/, and waits for it and both its
// children to apply the head.
func platform(f *testenv.Fixture) {
	f.T.Helper()
	f.Commit("platform", platformFiles(f.NS))
	gitRepository(f)
	kustomization(f, "platform", "./platform")
	ready(f, "platform")
	ready(f, "db")
	ready(f, "web")
}

// TestInventoryTree reads a Kustomization that applies a ConfigMap and two
// child Kustomizations: its inventory as a tree, each child's own
// inventory inside it, every badge filled by live.js from the health page
// with the kstatus of the object read live (Current); the health page
// itself; and dependsOn both ways on the children's pages. A user who may
// read nothing sees each badge say so.
func TestInventoryTree(t *testing.T) {
	u := newUI(t)
	f := env.NewFixture(t, appFiles("info"))
	platform(f)

	const inventory = "section[aria-labelledby=inventory-h]"
	badge := func(name, group, kind string) string {
		return fmt.Sprintf(`%s span.health[data-health-for="%s_%s_%s_%s"]`, inventory, f.NS, name, group, kind)
	}
	const ks = "kustomize.toolkit.fluxcd.io"
	objects := []struct{ name, group, kind string }{
		{"platform-info", "", "ConfigMap"},
		{"db", ks, "Kustomization"},
		{"web", ks, "Kustomization"},
		{"db-settings", "", "ConfigMap"},
		{"web-settings", "", "ConfigMap"},
		{"web-flags", "", "ConfigMap"},
	}

	tb := NewTab(t)
	tb.Open(u.Admin + "/o/Kustomization/" + f.NS + "/platform")
	tb.WaitText(inventory+" h2", "Inventory (3 objects)")
	// The children's inventories are inside their entries.
	for child, has := range map[string]string{"db": "db-settings", "web": "web-settings"} {
		entry := fmt.Sprintf(`%s li:has(> a[href="/o/Kustomization/%s/%s"])`, inventory, f.NS, child)
		if s := tb.Text(entry + " details.child"); !strings.Contains(s, "its inventory") || !strings.Contains(s, f.NS+"/"+has) {
			t.Errorf("the entry of %s does not hold its inventory with %s: %q", child, has, s)
		}
	}
	// live.js fills every badge once the health page is read.
	for _, o := range objects {
		sel := badge(o.name, o.group, o.kind)
		tb.WaitFor("the health of "+o.name, func() (bool, string) {
			s := tb.textContent(sel)
			return s == "Current", s
		})
		if c := tb.attr(sel, "class"); c != "state health health-current" {
			t.Errorf("the badge of %s has the classes %q", o.name, c)
		}
	}
	// The hover says kstatus's message.
	if tip := tb.attr(badge("web", ks, "Kustomization"), "title"); tip != "Resource is Ready" {
		t.Errorf("the badge of web says %q on hover", tip)
	}
	if tip := tb.attr(badge("web-flags", "", "ConfigMap"), "title"); tip != "Resource is always ready" {
		t.Errorf("the badge of web-flags says %q on hover", tip)
	}

	// The same, without script: the health page.
	tb.Click(inventory + " p.health-link a")
	tb.waitPath("/o/Kustomization/" + f.NS + "/platform/health")
	for _, o := range objects {
		kind := o.kind
		if o.group != "" {
			kind += "." + o.group
		}
		tb.WaitRow("main table.health-table", kind, f.NS+"/"+o.name, "CURRENT") // the badge's capitals
	}

	// dependsOn both ways.
	tb.Open(u.Admin + "/o/Kustomization/" + f.NS + "/web")
	if s := tb.WaitText("section[aria-labelledby=depends-h]", "Kustomization "+f.NS+"/db"); !strings.Contains(strings.ToLower(s), "ready") {
		t.Errorf("web's dependency is not shown ready: %q", s)
	}
	tb.WaitText("section[aria-labelledby=needed-h]", "No Kustomization or HelmRelease depends on it")
	tb.Click(fmt.Sprintf(`section[aria-labelledby=depends-h] a[href="/o/Kustomization/%s/db"]`, f.NS))
	tb.waitPath("/o/Kustomization/" + f.NS + "/db")
	tb.WaitText("section[aria-labelledby=needed-h]", "Kustomization "+f.NS+"/web")
	tb.WaitText("section[aria-labelledby=depends-h]", "Nothing: it waits for no other object")
	// db's own tree: its ConfigMap, healthy.
	tb.WaitFor("the health of db-settings", func() (bool, string) {
		s := tb.textContent(badge("db-settings", "", "ConfigMap"))
		return s == "Current", s
	})

	// A user who may read nothing gets no health.
	viewer := NewTab(t)
	viewer.Open(u.Viewer + "/o/Kustomization/" + f.NS + "/platform")
	viewer.WaitFor("the viewer's badges", func() (bool, string) {
		s := viewer.textContent(badge("platform-info", "", "ConfigMap"))
		return s == "not allowed to read", s
	})
	if c := viewer.attr(badge("platform-info", "", "ConfigMap"), "class"); !strings.Contains(c, "health-forbidden") {
		t.Errorf("the viewer's badge has the classes %q", c)
	}
}
