package kustomization_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/testenv"
)

// TestYAMLBombsRefused syncs a path, then commits a "billion laughs"
// manifest (nine levels of ten aliases: 2.3 billion nodes from 600 bytes)
// into it and a ConfigMap of 20,000 keys into a second path, next to a
// third, ordinary path. The two fail their builds at once with a message
// naming the file and the limit, keep what they applied before, and the
// ordinary Kustomization, built after them by the same controller, is
// applied: the bombs neither exhausted memory nor held the build.
func TestYAMLBombsRefused(t *testing.T) {
	cm := func(name string) string { return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\n" }
	f := newFixture(t, map[string]string{
		"bomb/kustomization.yaml": "resources: [cm.yaml]\n",
		"bomb/cm.yaml":            cm("before-the-bomb"),
		"wide/kustomization.yaml": "resources: [cm.yaml]\n",
		"wide/cm.yaml":            cm("before-the-wide-map"),
	})
	var stream strings.Builder
	stream.WriteString(sourceYAML)
	for _, name := range []string{"bomb", "wide", "plain"} {
		fmt.Fprintf(&stream, "\n---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: %s\n  namespace: {{ns}}\n"+
			"spec: {interval: 1h, retryInterval: 1h, path: ./%s, prune: true, targetNamespace: {{ns}}, sourceRef: {kind: GitRepository, name: app}}", name, name)
	}
	f.ApplyYAML(stream.String())
	for _, name := range []string{"bomb", "wide"} {
		f.WaitForKS(f.NS, name, "ready", testenv.KustomizationReady(f.Head()))
	}

	var laughs strings.Builder
	laughs.WriteString(cm("lol") + "lol:\n  a0: &a0 [\"lol\"]\n")
	for i := 1; i <= 9; i++ {
		fmt.Fprintf(&laughs, "  a%d: &a%d [%s]\n", i, i, strings.TrimSuffix(strings.Repeat("*a"+strconv.Itoa(i-1)+",", 10), ","))
	}
	var wide strings.Builder
	wide.WriteString(cm("wide") + "data:\n")
	for i := range 20_000 {
		fmt.Fprintf(&wide, "  k%d: v\n", i)
	}
	rev := f.Commit("bombs", map[string]string{
		"bomb/kustomization.yaml":  "resources: [cm.yaml, lol.yaml]\n",
		"bomb/lol.yaml":            laughs.String(),
		"wide/kustomization.yaml":  "resources: [cm.yaml, wide.yaml]\n",
		"wide/wide.yaml":           wide.String(),
		"plain/kustomization.yaml": "resources: [cm.yaml]\n",
		"plain/cm.yaml":            cm("plain"),
	})
	f.RequestReconcile(&sourcev1.GitRepository{}, "app")
	for name, want := range map[string][]string{
		"bomb": {"bomb/lol.yaml", "alias bomb", "at most 10000 nodes"},
		"wide": {"wide/wide.yaml", "20000 keys, more than the limit of 10000"},
	} {
		ks := f.WaitForKS(f.NS, name, "BuildFailed", testenv.KustomizationFailed("BuildFailed", rev))
		msg := testenv.ReadyCondition(ks).Message
		t.Logf("%s: %s", name, msg)
		for _, w := range want {
			if !strings.Contains(msg, w) {
				t.Errorf("%s: Ready message %q does not contain %q", name, msg, w)
			}
		}
		if n := len(ks.Status.Inventory.Entries); n != 1 {
			t.Errorf("%s: inventory has %d entries, want the one applied before", name, n)
		}
	}
	for _, name := range []string{"before-the-bomb", "before-the-wide-map"} {
		if f.Get("v1", "ConfigMap", name) == nil {
			t.Errorf("ConfigMap %s, applied before, is gone", name)
		}
	}
	if f.Get("v1", "ConfigMap", "lol") != nil || f.Get("v1", "ConfigMap", "wide") != nil {
		t.Error("an object of a refused build was applied")
	}
	f.WaitForKS(f.NS, "plain", "ready beside the bombs", testenv.KustomizationReady(rev))
}
