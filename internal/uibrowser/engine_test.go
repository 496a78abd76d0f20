package uibrowser

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	notificationv1beta3 "github.com/ferrycd/ferry/api/notification/v1beta3"
	"github.com/ferrycd/ferry/internal/testenv"
)

// TestEngine opens the engine panel from the keyboard: the kinds ferry
// serves, the suite's controllers with their workers and reconciles, and
// the runs, among them a Ready Kustomization's success and a failing
// one's error with its retry, each linked to its page.
func TestEngine(t *testing.T) {
	u := newUI(t)
	f := env.NewFixture(t, appFiles("info"))
	gitRepository(f)
	kustomization(f, "api", "./deploy")
	kustomization(f, "web", missingPath)
	ready(f, "api")
	failed(f, "web")

	tb := NewTab(t)
	tb.Open(u.Admin + "/")
	loaded(tb)
	tb.Press("ge")
	tb.waitPath("/engine")
	tb.WaitRow("main table.apis", "Kustomization", "kustomize.toolkit.fluxcd.io", "v1")
	tb.WaitRow("main table.apis", "GitRepository", "source.toolkit.fluxcd.io")
	// The suite runs two workers per controller (Concurrent: 2).
	for _, c := range []string{"kustomization", "gitrepository", "alert", "provider"} {
		row := tb.WaitRow("main table.controllers", c, "/ 2")
		if c == "kustomization" && !strings.Contains(strings.Join(row, " "), "success") {
			t.Errorf("the kustomization controller's row shows no success: %q", row)
		}
	}
	// Every test's objects run here: find this one's.
	runs := func(name string) []string {
		for _, r := range tb.Rows("main table.runs") {
			if len(r) > 1 && r[0] == "Kustomization" && r[1] == f.NS+"/"+name {
				return r
			}
		}
		return nil
	}
	// They may be on a later page, 100 runs a page.
	tb.WaitFor("the runs of api and web", func() (bool, string) {
		if runs("api") != nil && runs("web") != nil {
			return true, ""
		}
		seen := fmt.Sprint(tb.Rows("main table.runs"))
		if next := tb.attr(`main nav.pages a[rel=next]`, "href"); next != "" {
			tb.Open(u.Admin + next)
		} else {
			tb.Open(u.Admin + "/engine")
		}
		return false, seen
	})
	// Kind, Object, Last run, Took, Result, Next run: after the interval,
	// and after the retryInterval, an hour each. (innerText is in the
	// badges' capitals.)
	if r := runs("api"); !strings.EqualFold(r[4], "success") || !strings.HasPrefix(r[5], "in ") || !strings.Contains(r[5], "m") {
		t.Errorf("api's run is %q, want a success with the next run in about an hour", r)
	}
	if r := runs("web"); !strings.EqualFold(r[4], "error") || !strings.HasPrefix(r[5], "in ") || !strings.Contains(r[5], "m") {
		t.Errorf("web's run is %q, want an error with the next run in about an hour", r)
	}
	tb.Click(fmt.Sprintf(`main table.runs a[href="/o/Kustomization/%s/api"]`, f.NS))
	tb.waitPath("/o/Kustomization/" + f.NS + "/api")
}

// TestObjectLog reads a Kustomization's own reconciler log on its page and
// on its log page: the line of its applied revision, and for a failing
// one the failure with its retry.
func TestObjectLog(t *testing.T) {
	u := newUI(t)
	f := env.NewFixture(t, appFiles("info"))
	gitRepository(f)
	kustomization(f, "api", "./deploy")
	kustomization(f, "web", missingPath)
	ready(f, "api")
	failed(f, "web")

	const logSection = "section[aria-labelledby=log-h]"
	tb := NewTab(t)
	tb.Open(u.Admin + "/o/Kustomization/" + f.NS + "/api")
	tb.WaitText(logSection+" table.log", "Reconciliation finished")
	// Time, Level, Message, Values.
	rows := tb.Rows(logSection + " table.log")
	found := false
	for _, r := range rows {
		if len(r) == 4 && strings.EqualFold(r[1], "info") && strings.HasPrefix(r[2], "Reconciliation finished in ") && strings.Contains(r[3], "revision="+f.Head()) {
			found = true
		}
		if strings.Contains(strings.Join(r, " "), missingPath) {
			t.Errorf("api's log holds a line of web: %q", r)
		}
	}
	if !found {
		t.Errorf("api's log has no line of its applied revision: %q", rows)
	}

	tb.Open(u.Admin + "/o/Kustomization/" + f.NS + "/web")
	tb.WaitText(logSection+" table.log", "reconciliation failed", "kustomization path not found", "retryIn=1h0m0s")
	tb.Click(logSection + ` a[href$="/log"]`)
	tb.waitPath("/o/Kustomization/" + f.NS + "/web/log")
	tb.WaitText("main table.log", "reconciliation failed")
	tb.WaitText("main p.count", "lines kept")
	tb.Click(`main nav.filters a[href$="?level=error"]`)
	tb.waitPath("/o/Kustomization/" + f.NS + "/web/log?level=error")
	if s := tb.Text("main nav.filters strong"); s != "errors only" {
		t.Errorf("the level shown is %q", s)
	}
}

// endpoint is a loopback HTTP server that answers 200 and counts what it
// received.
type endpoint struct {
	*httptest.Server
	mu     sync.Mutex
	bodies []string
}

func newEndpoint(t *testing.T) *endpoint {
	e := &endpoint{}
	e.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		e.mu.Lock()
		e.bodies = append(e.bodies, string(b))
		e.mu.Unlock()
	}))
	t.Cleanup(e.Close)
	return e
}

func (e *endpoint) received(s string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, b := range e.bodies {
		if strings.Contains(b, s) {
			return true
		}
	}
	return false
}

// TestNotifications follows an event to its endpoint: an Alert on the
// namespace's Kustomizations with a generic Provider on a loopback
// server, a Kustomization that becomes Ready, and on /notifications,
// filtered to the namespace with the form, the event delivered with
// status 200, the Kustomization, the Alert and the Provider linked.
func TestNotifications(t *testing.T) {
	u := newUI(t)
	hook := newEndpoint(t)
	f := env.NewFixture(t, appFiles("info"))
	f.ApplyYAML(`apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata:
  name: hook
  namespace: {{ns}}
spec:
  type: generic
  address: ` + hook.URL + `/events
---
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Alert
metadata:
  name: deploys
  namespace: {{ns}}
spec:
  providerRef:
    name: hook
  eventSources:
    - kind: Kustomization
      name: '*'`)
	testenv.WaitFor(t, env.Client, testenv.Key(f.NS, "deploys"), "the Alert ready", func(a *notificationv1beta3.Alert) bool {
		return testenv.ReadyCondition(a).Status == "True"
	})
	gitRepository(f)
	kustomization(f, "api", "./deploy")
	ready(f, "api")
	testenv.Eventually(t, "the event delivered", func() (bool, string) {
		return hook.received("ReconciliationSucceeded"), "nothing yet"
	})

	tb := NewTab(t)
	tb.Open(u.Admin + "/")
	loaded(tb)
	tb.Press("gn")
	tb.waitPath("/notifications")
	tb.WaitHas(fmt.Sprintf(`main select[name=ns] option[value=%q]`, f.NS))
	Eval[bool](tb, fmt.Sprintf(`document.querySelector("main select[name=ns]").value = %s, true`, js(f.NS)))
	Eval[bool](tb, `document.querySelector("main select[name=outcome]").value = "delivered", true`)
	if status := tb.Submit("main form.filters button[type=submit]"); status != http.StatusOK {
		t.Fatalf("the filtered log answered %d", status)
	}
	tb.waitPath("/notifications?ns=" + f.NS + "&provider=&outcome=delivered")
	// When, Object, Reason, Severity, Revision, Alert, Outcome, Provider,
	// HTTP, Attempts, Message.
	var row []string
	tb.WaitFor("the delivered event", func() (bool, string) {
		rows := tb.Rows("main table.dispatches")
		for _, r := range rows {
			if len(r) == 11 && r[1] == "Kustomization "+f.NS+"/api" && r[2] == "ReconciliationSucceeded" {
				row = r
				return true, ""
			}
		}
		return false, fmt.Sprint(rows)
	})
	for i, want := range map[int]string{3: "info", 4: f.Head(), 5: f.NS + "/deploys", 6: "Delivered", 7: "hook", 8: "200", 9: "1"} {
		if !strings.EqualFold(row[i], want) {
			t.Errorf("column %d of the delivered event is %q, want %q (row %q)", i+1, row[i], want, row)
		}
	}
	for _, link := range []string{"/o/Kustomization/" + f.NS + "/api", "/o/Alert/" + f.NS + "/deploys", "/o/Provider/" + f.NS + "/hook"} {
		if !tb.Has(fmt.Sprintf(`main table.dispatches a[href=%q]`, link)) {
			t.Errorf("the log does not link %s", link)
		}
	}
	tb.Click(fmt.Sprintf(`main table.dispatches a[href="/o/Provider/%s/hook"]`, f.NS))
	tb.waitPath("/o/Provider/" + f.NS + "/hook")
}
