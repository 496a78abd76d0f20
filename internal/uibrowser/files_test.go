package uibrowser

import (
	"strconv"
	"strings"
	"testing"
)

// TestFiles browses a GitRepository's artifact from its page: the root
// directory, deploy/ with its three manifests and their sizes, a
// manifest's text, and back up with the path's links; a file holding
// markup is shown as text, and runs nothing.
func TestFiles(t *testing.T) {
	u := newUI(t)
	files := appFiles("info")
	files["docs/notes.txt"] = `<script>window.ran = true</script><img src=x onerror="window.ran = true">`
	f := env.NewFixture(t, files)
	gitRepository(f)
	kustomization(f, "api", "./deploy")
	ready(f, "api")

	tb := NewTab(t)
	tb.Open(u.Admin + "/o/GitRepository/" + f.NS + "/app")
	tb.Click(`main p.see-also a[href$="/files/"]`)
	tb.waitPath("/o/GitRepository/" + f.NS + "/app/files/")
	tb.WaitText("main dl.artifact", f.Head(), "sha256:")
	tb.WaitRow("main table.files", "deploy/", "directory")
	tb.WaitRow("main table.files", "docs/", "directory")

	tb.Click(`main table.files a[href$="/files/deploy/"]`)
	tb.waitPath("/o/GitRepository/" + f.NS + "/app/files/deploy/")
	size := len(files["deploy/settings.yaml"])
	tb.WaitRow("main table.files", "settings.yaml", strconv.Itoa(size))
	tb.WaitRow("main table.files", "flags.yaml")
	tb.WaitRow("main table.files", "kustomization.yaml")

	tb.Click(`main table.files a[href$="/settings.yaml"]`)
	tb.waitPath("/o/GitRepository/" + f.NS + "/app/files/deploy/settings.yaml")
	text := tb.WaitText("main pre.file", "kind: ConfigMap", "name: web-settings", "LOG_LEVEL: info")
	if text != strings.TrimSuffix(files["deploy/settings.yaml"], "\n") && text != files["deploy/settings.yaml"] {
		t.Errorf("the file shows %q, want %q", text, files["deploy/settings.yaml"])
	}
	if p := tb.Text("main nav.path"); p != "app / deploy / settings.yaml" {
		t.Errorf("the path reads %q", p)
	}

	// The path's links lead back up.
	tb.Click(`main nav.path a[href$="/files/deploy/"]`)
	tb.waitPath("/o/GitRepository/" + f.NS + "/app/files/deploy/")
	tb.Click(`main nav.path a[href$="/files/"]`)
	tb.waitPath("/o/GitRepository/" + f.NS + "/app/files/")

	// Markup in a file is text.
	tb.Open(u.Admin + "/o/GitRepository/" + f.NS + "/app/files/docs/notes.txt")
	if got := tb.WaitText("main pre.file", "<script>"); got != files["docs/notes.txt"] {
		t.Errorf("the file shows %q, want its text %q", got, files["docs/notes.txt"])
	}
	if Eval[bool](tb, `window.ran === true`) || tb.Has("main pre.file img, main script") {
		t.Error("the file's markup became elements")
	}
}
