package uibrowser

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferrycd/ferry/internal/testenv"
)

// TestDiff opens a Ready Kustomization's "Diff with the cluster": no
// changes; then, once an admin has changed one of its ConfigMaps and
// deleted the other, the changed one drifted with the changed value in its
// diff and the deleted one to be created. A user without rights is
// refused.
func TestDiff(t *testing.T) {
	u := newUI(t)
	f := env.NewFixture(t, appFiles("info"))
	gitRepository(f)
	kustomization(f, "api", "./deploy")
	ready(f, "api")

	tb := NewTab(t)
	tb.Open(u.Admin + "/o/Kustomization/" + f.NS + "/api")
	tb.Click(`main p.see-also a[href$="/diff"]`)
	tb.waitPath("/o/Kustomization/" + f.NS + "/api/diff")
	tb.WaitText("main p.all-good", "No changes", f.Head())
	if s := tb.Text("main dl.artifact"); !strings.Contains(s, "GitRepository "+f.NS+"/app") || !strings.Contains(s, f.Head()) {
		t.Errorf("the diff's source is %q", s)
	}

	// Drift: a value changed by hand, an object deleted.
	ctx := context.Background()
	settings := &corev1.ConfigMap{}
	if err := env.Client.Get(ctx, testenv.Key(f.NS, "web-settings"), settings); err != nil {
		t.Fatal(err)
	}
	patch := client.MergeFrom(settings.DeepCopy())
	settings.Data["LOG_LEVEL"] = "debug-by-hand"
	if err := env.Client.Patch(ctx, settings, patch); err != nil {
		t.Fatal(err)
	}
	flags := &corev1.ConfigMap{}
	flags.Namespace, flags.Name = f.NS, "web-flags"
	if err := env.Client.Delete(ctx, flags); err != nil {
		t.Fatal(err)
	}

	tb.Open(u.Admin + "/o/Kustomization/" + f.NS + "/api/diff")
	tb.WaitText("main", "2 objects would change: 1 created, 1 drifted, 0 deleted")
	drifted := tb.WaitText("main ul.changes li.change-drifted", "ConfigMap/"+f.NS+"/web-settings")
	if a := tb.textContent("main li.change-drifted span.action"); a != "drifted" {
		t.Errorf("the drifted ConfigMap is marked %q", a)
	}
	if dels, adds := tb.Texts("main li.change-drifted pre.diff span.diff-del"), tb.Texts("main li.change-drifted pre.diff span.diff-add"); !holds(dels, "LOG_LEVEL: debug-by-hand") || !holds(adds, "LOG_LEVEL: info") {
		t.Errorf("the drifted ConfigMap's diff removes %q and adds %q, want debug-by-hand back to info:\n%s", dels, adds, drifted)
	}
	tb.WaitText("main ul.changes li.change-created", "ConfigMap/"+f.NS+"/web-flags")
	if a := tb.textContent("main li.change-created span.action"); a != "created" {
		t.Errorf("the deleted ConfigMap is marked %q", a)
	}

	// Without the rights to dry-run, the diff is refused.
	tb.Open(u.Viewer + "/o/Kustomization/" + f.NS + "/api/diff")
	tb.WaitText("main", "Forbidden", u.ViewerUser)
	if tb.Has("main ul.changes") {
		t.Error("a user without rights sees the changes")
	}
}

// holds reports whether one of lines contains s.
func holds(lines []string, s string) bool {
	for _, l := range lines {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}
