package uibrowser

import (
	"context"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/client"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/testenv"
)

// TestLiveUpdate keeps a Kustomization's page and its kind's list open
// while a new revision is committed and applied, and then while the
// Kustomization breaks: both pages show each change without a reload.
func TestLiveUpdate(t *testing.T) {
	u := newUI(t)
	f := env.NewFixture(t, appFiles("info"))
	gitRepository(f)
	kustomization(f, "api", "./deploy")
	ready(f, "api")

	page, list := NewTab(t), NewTab(t)
	page.Open(u.Admin + "/o/Kustomization/" + f.NS + "/api")
	list.Open(u.Admin + "/k/Kustomization?ns=" + f.NS)
	page.WaitText("#live-status", "live")
	list.WaitText("#live-status", "live")
	// A reload would lose this mark.
	for _, tb := range []*Tab{page, list} {
		Eval[bool](tb, `window.ferryNotReloaded = true`)
	}

	// Commit a new revision and have it fetched and applied.
	rev := f.Commit("debug logs", appFiles("debug"))
	f.RequestReconcile(&sourcev1.GitRepository{}, "app")
	ready(f, "api")
	page.WaitRow("section[aria-labelledby=conditions-h] table", "Ready", "True", "Applied revision: "+rev)
	page.WaitText("main dl.fields", rev)
	list.WaitRow("table.rows", f.NS, rev)

	// Break it: the list shows it failing, the page its message.
	ks := &kustomizev1.Kustomization{}
	if err := env.Client.Get(context.Background(), testenv.Key(f.NS, "api"), ks); err != nil {
		t.Fatal(err)
	}
	patch := client.MergeFrom(ks.DeepCopy())
	ks.Spec.Path = missingPath
	if err := env.Client.Patch(context.Background(), ks, patch); err != nil {
		t.Fatal(err)
	}
	failed(f, "api")
	page.WaitRow("section[aria-labelledby=conditions-h] table", "Ready", "False", "kustomization path not found")
	page.WaitText("section[aria-labelledby=spec-h] pre", "path: "+missingPath)
	list.WaitHas("table.rows tr.row-failing")
	list.WaitRow("table.rows", f.NS, "kustomization path not found")

	for _, tb := range []*Tab{page, list} {
		if !Eval[bool](tb, `window.ferryNotReloaded === true`) {
			t.Errorf("%s was reloaded", Eval[string](tb, `location.href`))
		}
	}
}
