package alert_test

import (
	"encoding/json"
	"strings"
	"testing"

	notificationv1beta3 "github.com/ferrycd/ferry/api/notification/v1beta3"
	"github.com/ferrycd/ferry/internal/testenv"
)

// TestCommitStatusOncePerCommit is seed 003's github-status Provider
// against a loopback GitHub API: a Kustomization applying a commit gives
// exactly one commit status, on that commit, with the token, though the
// Alert also selects the GitRepository and the change set's Progressing
// event names the commit too.
func TestCommitStatusOncePerCommit(t *testing.T) {
	api := newEndpoint(t)
	f := env.NewFixture(t, appFiles("1"))
	secret(t, f.NS, "github-token", map[string]string{"token": githubToken})
	f.ApplyYAML(`apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata:
  name: github-status
  namespace: {{ns}}
spec:
  type: github
  address: ` + api.URL + `/company/repo
  secretRef:
    name: github-token
---
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Alert
metadata:
  name: status
  namespace: {{ns}}
spec:
  providerRef:
    name: github-status
  eventSeverity: info
  eventSources:
    - kind: Kustomization
      name: app
    # The GitRepository's NewArtifact event names the same commit: a
    # commit status reports the end of a reconciliation, not an artifact.
    - kind: GitRepository
      name: app`)
	testenv.WaitFor(t, env.Client, testenv.Key(f.NS, "status"), "the Alert ready", func(a *notificationv1beta3.Alert) bool {
		return testenv.ReadyCondition(a).Status == "True"
	})
	f.ApplyYAML(syncYAML)
	rev := f.Head()
	sha := strings.TrimPrefix(rev, "main@sha1:")
	f.WaitFor("ready", testenv.KustomizationReady(rev))

	onCommit := func(r request) bool { return r.Path == "/api/v3/repos/company/repo/statuses/"+sha }
	api.waitFor(t, "a commit status on "+sha, 1, onCommit)
	settle()
	all := api.received(nil)
	if len(all) != 1 {
		t.Fatalf("%d requests to the GitHub API, want exactly one commit status: %v", len(all), paths(all))
	}
	got := all[0]
	if got.Header.Get("Authorization") != "Bearer "+githubToken {
		t.Errorf("Authorization header is not the Secret's token")
	}
	var status struct{ State, Context, Description string }
	if err := json.Unmarshal(got.Body, &status); err != nil {
		t.Fatal(err)
	}
	p := &notificationv1beta3.Provider{}
	if err := env.Client.Get(t.Context(), testenv.Key(f.NS, "github-status"), p); err != nil {
		t.Fatal(err)
	}
	uid, _, _ := strings.Cut(string(p.UID), "-")
	if status.State != "success" || status.Context != "kustomization/app/"+uid || !strings.HasPrefix(status.Description, "Reconciliation finished") {
		t.Errorf("commit status = %+v", status)
	}
}
