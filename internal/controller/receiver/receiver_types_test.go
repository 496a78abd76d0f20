package receiver_test

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"net/http"
	"testing"

	notificationv1 "github.com/ferrycd/ferry/api/notification/v1"
)

func hexMAC(h func() hash.Hash, body string) string {
	m := hmac.New(h, []byte(token))
	m.Write([]byte(body))
	return hex.EncodeToString(m.Sum(nil))
}

// TestTypes calls the real listener as each service does: a refused call
// annotates nothing, an accepted one annotates the GitRepository, and a
// ping or a replayed delivery is acknowledged without a reconcile.
func TestTypes(t *testing.T) {
	const body = `{"ref":"refs/heads/main"}`
	type step struct {
		what    string
		body    string
		header  []string
		code    int
		request bool // whether the call requests a reconcile
	}
	tests := map[string]struct {
		typ    string
		events []string
		steps  []step
	}{
		"gitlab": {typ: notificationv1.GitLabReceiver, events: []string{"Push Hook"}, steps: []step{
			{"a wrong token", body, []string{"X-Gitlab-Token", "nope", "X-Gitlab-Event", "Push Hook"}, http.StatusUnauthorized, false},
			{"a tag push", body, []string{"X-Gitlab-Token", token, "X-Gitlab-Event", "Tag Push Hook"}, http.StatusBadRequest, false},
			{"a push", body, []string{"X-Gitlab-Token", token, "X-Gitlab-Event", "Push Hook", "X-Gitlab-Event-UUID", "u-1"}, http.StatusOK, true},
			{"the push again", body, []string{"X-Gitlab-Token", token, "X-Gitlab-Event", "Push Hook", "X-Gitlab-Event-UUID", "u-1"}, http.StatusOK, false},
		}},
		"bitbucket": {typ: notificationv1.BitbucketReceiver, steps: []step{
			{"a test connection", body, []string{"X-Hub-Signature", "sha256=" + hexMAC(sha256.New, body), "X-Event-Key", "diagnostics:ping"}, http.StatusOK, false},
			{"a forged push", body, []string{"X-Hub-Signature", "sha256=" + hexMAC(sha256.New, "x"), "X-Event-Key", "repo:refs_changed"}, http.StatusUnauthorized, false},
			{"a push", body, []string{"X-Hub-Signature", "sha256=" + hexMAC(sha256.New, body), "X-Event-Key", "repo:refs_changed", "X-Request-UUID", "b-1"}, http.StatusOK, true},
		}},
		"generic-hmac": {typ: notificationv1.GenericHMACReceiver, steps: []step{
			{"unsigned", body, nil, http.StatusUnauthorized, false},
			{"signed sha1", body, []string{"X-Signature", "sha1=" + hexMAC(sha1.New, body)}, http.StatusOK, true},
		}},
		"harbor": {typ: notificationv1.HarborReceiver, steps: []step{
			{"without the token", body, nil, http.StatusUnauthorized, false},
			{"with it", body, []string{"Authorization", token}, http.StatusOK, true},
		}},
		"nexus": {typ: notificationv1.NexusReceiver, steps: []step{
			{"signed", `{"action":"CREATED"}`, []string{"X-Nexus-Webhook-Signature", hexMAC(sha1.New, `{"action":"CREATED"}`)}, http.StatusOK, true},
		}},
		"dockerhub": {typ: notificationv1.DockerHubReceiver, steps: []step{
			{"not a push", `{"hello":1}`, nil, http.StatusBadRequest, false},
			{"a push", `{"push_data":{"tag":"v1"},"repository":{"repo_url":"https://hub.docker.com/r/a/b"}}`, nil, http.StatusOK, true},
		}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ns := env.NewNamespace(t, "type")
			suspendedRepo(t, ns, "app", nil)
			rcv := readyReceiver(t, newReceiver(ns, tc.typ, []notificationv1.CrossNamespaceObjectReference{ref("GitRepository", "app")},
				func(r *notificationv1.Receiver) { r.Spec.Events = tc.events }))
			for _, s := range tc.steps {
				before := repoRequestedAt(t, ns, "app")
				code, answer := post(t, rcv.Status.WebhookPath, s.body, s.header...)
				expect(t, s.what, s.code, code, answer)
				if requested := repoRequestedAt(t, ns, "app") != before; requested != s.request {
					t.Errorf("%s: requested a reconcile %v, want %v", s.what, requested, s.request)
				}
			}
		})
	}
}
