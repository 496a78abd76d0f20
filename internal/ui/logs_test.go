package ui_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ferrycd/ferry/internal/logring"
	"github.com/ferrycd/ferry/internal/ui"
)

func TestObjectPageShowsItsLogLines(t *testing.T) {
	ns := env.NewNamespace(t, "logs")
	kustomization(t, ns, "web", failing("kustomization path not found: ./deploy"))
	kustomization(t, ns, "db", ready("Applied"))
	logs := logring.New(logring.Options{})
	web := logring.Key{Kind: "Kustomization", Namespace: ns, Name: "web"}
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for i := range 24 {
		logs.Add(web, logring.Line{Time: start.Add(time.Duration(i) * time.Second), Level: logring.LevelInfo,
			Message: fmt.Sprintf("building manifests, step %02d", i), Values: "reconcileID=r1"})
	}
	logs.Add(web, logring.Line{Time: start.Add(time.Minute), Level: logring.LevelError, Message: "Reconciler error",
		Values: `error="kustomization path not found: <script>alert(1)</script>"`})
	logs.Add(logring.Key{Kind: "Kustomization", Namespace: ns, Name: "db"}, logring.Line{Time: start, Level: logring.LevelInfo, Message: "a line of db"})
	srv := newUIWith(t, ui.Options{Logs: logs})

	// The object page: the newest 20 lines, newest last, escaped, and the
	// way to the rest.
	resp, body := get(t, srv, "/o/Kustomization/"+ns+"/web")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET the object page = %d:\n%s", resp.StatusCode, body)
	}
	mustContain(t, "the object page", body, `id="log-h"`, "building manifests, step 23", "building manifests, step 05",
		`class="log-error"`, "&lt;script&gt;alert(1)&lt;/script&gt;", "The newest 20 of 25 lines, 1 of them errors",
		`href="/o/Kustomization/`+ns+`/web/log"`, `href="/o/Kustomization/`+ns+`/web/log?level=error"`, `datetime="2026-03-01T12:01:00Z"`, "12:01:00.000")
	if strings.Contains(body, "step 04") {
		t.Error("the object page shows more than the newest 20 lines")
	}
	if strings.Contains(body, "<script>alert") {
		t.Error("a log line reached the page unescaped")
	}
	if strings.Contains(body, "a line of db") {
		t.Error("another object's line is on the page")
	}
	if i, j := strings.Index(body, "step 23"), strings.Index(body, "Reconciler error"); i < 0 || j < i {
		t.Errorf("the lines are not oldest first (step 23 at %d, the error at %d)", i, j)
	}

	// The log page: every line, or the errors only.
	_, body = get(t, srv, "/o/Kustomization/"+ns+"/web/log")
	mustContain(t, "the log page", body, "building manifests, step 00", "building manifests, step 23", "Reconciler error", "25 of the 25 lines kept")
	_, body = get(t, srv, "/o/Kustomization/"+ns+"/web/log?level=error")
	mustContain(t, "the errors", body, "Reconciler error", "1 of the 25 lines kept", `<strong aria-current="page">errors only</strong>`)
	if strings.Contains(body, "building manifests") {
		t.Error("?level=error shows info lines")
	}

	// An object without lines says so; one that never existed is not found.
	_, body = get(t, srv, "/o/Kustomization/"+ns+"/db/log?level=error")
	mustContain(t, "db's errors", body, "No error lines of this object since the controller started (of 1 kept)")
	if resp, _ := get(t, srv, "/o/Kustomization/"+ns+"/nothing/log"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("the log page of an object that never existed = %d, want 404", resp.StatusCode)
	}
	// A deleted object's lines are still shown.
	gone := logring.Key{Kind: "Kustomization", Namespace: ns, Name: "deleted"}
	logs.Add(gone, logring.Line{Time: start, Level: logring.LevelInfo, Message: "garbage collection completed"})
	resp, body = get(t, srv, "/o/Kustomization/"+ns+"/deleted/log")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("the log page of a deleted object = %d", resp.StatusCode)
	}
	mustContain(t, "a deleted object's log", body, "no longer exists", "garbage collection completed")

	// A UI without a ring (ferry ui) says where the lines are.
	_, body = get(t, newUI(t, nil), "/o/Kustomization/"+ns+"/web")
	mustContain(t, "the object page of ferry ui", body, "kept by the process that runs the controllers", "ferry controller --ui-address")
}
