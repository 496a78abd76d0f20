package receiver

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"hash"
	"net/http"
	"strings"
	"testing"

	notificationv1 "github.com/ferrycd/ferry/api/notification/v1"
)

const unitToken = "unit-t0ken-never-logged"

func sign(h func() hash.Hash, body string) string {
	m := hmac.New(h, []byte(unitToken))
	m.Write([]byte(body))
	return hex.EncodeToString(m.Sum(nil))
}

func headers(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}

// TestValidate checks each type's authentication, event filter, ping and
// delivery id on calls built as the services send them.
func TestValidate(t *testing.T) {
	const body = `{"ref":"refs/heads/main"}`
	pubsub := `{"message":{"data":"` + base64.StdEncoding.EncodeToString([]byte(`{"action":"INSERT","digest":"gcr.io/p/app@sha256:1","tag":"gcr.io/p/app:v1"}`)) + `","messageId":"m-1"}}`
	cdevent := `{"context":{"version":"0.4.1","id":"e-1","source":"/ci","type":"dev.cdevents.artifact.published.0.2.0"},"subject":{"id":"pkg"}}`
	gcrSecret := map[string][]byte{TokenKey: []byte(unitToken), EmailKey: []byte("push@p.iam.gserviceaccount.com"), AudienceKey: []byte("https://hooks.example/x")}
	goodClaims := map[string]any{"iss": "https://accounts.google.com", "email": "push@p.iam.gserviceaccount.com", "email_verified": true}

	tests := map[string]struct {
		typ     string
		events  []string
		secret  map[string][]byte
		header  http.Header
		body    string
		claims  map[string]any // what the fake ID token verifier returns; nil refuses
		code    int            // 0: accepted
		ack     bool
		deliver string
		payload string
	}{
		"generic accepts anything":    {typ: notificationv1.GenericReceiver, body: "x"},
		"generic keeps a JSON body":   {typ: notificationv1.GenericReceiver, body: body, header: headers("Content-Type", "application/json; charset=utf-8"), payload: body},
		"generic ignores a form body": {typ: notificationv1.GenericReceiver, body: "a=b", header: headers("Content-Type", "application/x-www-form-urlencoded")},

		"generic-hmac sha1":   {typ: notificationv1.GenericHMACReceiver, body: body, header: headers("X-Signature", "sha1="+sign(sha1.New, body))},
		"generic-hmac sha256": {typ: notificationv1.GenericHMACReceiver, body: body, header: headers("X-Signature", "sha256="+sign(sha256.New, body))},
		"generic-hmac sha512": {typ: notificationv1.GenericHMACReceiver, body: body, header: headers("X-Signature", "sha512="+sign(sha512.New, body))},
		"generic-hmac wrong body": {typ: notificationv1.GenericHMACReceiver, body: body + " ",
			header: headers("X-Signature", "sha256="+sign(sha256.New, body)), code: 401},
		"generic-hmac missing":      {typ: notificationv1.GenericHMACReceiver, body: body, code: 401},
		"generic-hmac unknown algo": {typ: notificationv1.GenericHMACReceiver, body: body, header: headers("X-Signature", "md5=00"), code: 401},
		"generic-hmac not hex":      {typ: notificationv1.GenericHMACReceiver, body: body, header: headers("X-Signature", "sha256=zz"), code: 401},
		"generic-hmac no algorithm": {typ: notificationv1.GenericHMACReceiver, body: body, header: headers("X-Signature", sign(sha256.New, body)), code: 401},

		"github push": {typ: notificationv1.GitHubReceiver, events: []string{"push"}, body: body,
			header: headers("X-Hub-Signature-256", "sha256="+sign(sha256.New, body), "X-GitHub-Event", "push",
				"X-GitHub-Delivery", "d-1", "Content-Type", "application/json"),
			deliver: "d-1", payload: body},
		"github sha1 fallback": {typ: notificationv1.GitHubReceiver, body: body,
			header: headers("X-Hub-Signature", "sha1="+sign(sha1.New, body), "X-GitHub-Event", "push")},
		"github prefers sha256": {typ: notificationv1.GitHubReceiver, body: body, code: 401,
			header: headers("X-Hub-Signature-256", "sha256=00", "X-Hub-Signature", "sha1="+sign(sha1.New, body), "X-GitHub-Event", "push")},
		"github event filtered": {typ: notificationv1.GitHubReceiver, events: []string{"push"}, body: body, code: 400,
			header: headers("X-Hub-Signature-256", "sha256="+sign(sha256.New, body), "X-GitHub-Event", "issues")},
		"github event case-insensitive": {typ: notificationv1.GitHubReceiver, events: []string{"Push"}, body: body,
			header: headers("X-Hub-Signature-256", "sha256="+sign(sha256.New, body), "X-GitHub-Event", "push")},
		"github ping acknowledged whatever the events": {typ: notificationv1.GitHubReceiver, events: []string{"push"}, body: body, ack: true,
			header: headers("X-Hub-Signature-256", "sha256="+sign(sha256.New, body), "X-GitHub-Event", "ping")},
		"github ping still signed": {typ: notificationv1.GitHubReceiver, body: body, code: 401,
			header: headers("X-GitHub-Event", "ping")},
		"github unsigned": {typ: notificationv1.GitHubReceiver, body: body, code: 401, header: headers("X-GitHub-Event", "push")},

		"gitlab push": {typ: notificationv1.GitLabReceiver, events: []string{"Push Hook"}, body: body,
			header: headers("X-Gitlab-Token", unitToken, "X-Gitlab-Event", "Push Hook", "X-Gitlab-Event-UUID", "u-1"), deliver: "u-1"},
		"gitlab wrong token": {typ: notificationv1.GitLabReceiver, body: body, code: 401, header: headers("X-Gitlab-Token", unitToken+"x")},
		"gitlab no token":    {typ: notificationv1.GitLabReceiver, body: body, code: 401},
		"gitlab filtered": {typ: notificationv1.GitLabReceiver, events: []string{"Push Hook"}, body: body, code: 400,
			header: headers("X-Gitlab-Token", unitToken, "X-Gitlab-Event", "Merge Request Hook")},
		"gitlab no event with a filter": {typ: notificationv1.GitLabReceiver, events: []string{"Push Hook"}, body: body, code: 400,
			header: headers("X-Gitlab-Token", unitToken)},

		"bitbucket push": {typ: notificationv1.BitbucketReceiver, events: []string{"repo:refs_changed"}, body: body,
			header: headers("X-Hub-Signature", "sha256="+sign(sha256.New, body), "X-Event-Key", "repo:refs_changed", "X-Request-UUID", "r-1"), deliver: "r-1"},
		"bitbucket ping": {typ: notificationv1.BitbucketReceiver, events: []string{"repo:refs_changed"}, body: body, ack: true,
			header: headers("X-Hub-Signature", "sha256="+sign(sha256.New, body), "X-Event-Key", "diagnostics:ping")},
		"bitbucket wrong": {typ: notificationv1.BitbucketReceiver, body: body, code: 401,
			header: headers("X-Hub-Signature", "sha256="+sign(sha256.New, "other"), "X-Event-Key", "repo:refs_changed")},

		"harbor":       {typ: notificationv1.HarborReceiver, body: body, header: headers("Authorization", unitToken)},
		"harbor wrong": {typ: notificationv1.HarborReceiver, body: body, header: headers("Authorization", "Bearer "+unitToken), code: 401},

		"dockerhub": {typ: notificationv1.DockerHubReceiver, body: `{"push_data":{"tag":"v1"},"repository":{"repo_url":"https://hub.docker.com/r/a/b"}}`,
			payload: `{"push_data":{"tag":"v1"},"repository":{"repo_url":"https://hub.docker.com/r/a/b"}}`},
		"dockerhub not a push": {typ: notificationv1.DockerHubReceiver, body: `{}`, code: 400},
		"dockerhub not JSON":   {typ: notificationv1.DockerHubReceiver, body: `push`, code: 400},
		"quay":                 {typ: notificationv1.QuayReceiver, body: `{"docker_url":"quay.io/a/b","updated_tags":["v1"]}`, payload: `{"docker_url":"quay.io/a/b","updated_tags":["v1"]}`},
		"quay not a push":      {typ: notificationv1.QuayReceiver, body: `{"updated_tags":["v1"]}`, code: 400},
		"acr push":             {typ: notificationv1.ACRReceiver, body: `{"action":"push","target":{"repository":"app","tag":"v1"}}`, payload: `{"action":"push","target":{"repository":"app","tag":"v1"}}`},
		"acr ping":             {typ: notificationv1.ACRReceiver, body: `{"action":"ping"}`, ack: true},
		"acr not an event":     {typ: notificationv1.ACRReceiver, body: `{"action":"push"}`, code: 400},

		"nexus": {typ: notificationv1.NexusReceiver, body: `{"action":"CREATED","repositoryName":"r"}`,
			header: headers("X-Nexus-Webhook-Signature", sign(sha1.New, `{"action":"CREATED","repositoryName":"r"}`)), payload: `{"action":"CREATED","repositoryName":"r"}`},
		"nexus uppercase hex": {typ: notificationv1.NexusReceiver, body: `{"action":"CREATED"}`,
			header: headers("X-Nexus-Webhook-Signature", strings.ToUpper(sign(sha1.New, `{"action":"CREATED"}`))), payload: `{"action":"CREATED"}`},
		"nexus wrong": {typ: notificationv1.NexusReceiver, body: `{}`, header: headers("X-Nexus-Webhook-Signature", sign(sha256.New, `{}`)), code: 401},
		"nexus none":  {typ: notificationv1.NexusReceiver, body: `{}`, code: 401},
		"nexus signed but not JSON": {typ: notificationv1.NexusReceiver, body: `x`,
			header: headers("X-Nexus-Webhook-Signature", sign(sha1.New, `x`)), code: 400},

		"gcr": {typ: notificationv1.GCRReceiver, secret: gcrSecret, body: pubsub, claims: goodClaims,
			header: headers("Authorization", "Bearer id.token.sig"), deliver: "m-1",
			payload: `{"action":"INSERT","digest":"gcr.io/p/app@sha256:1","tag":"gcr.io/p/app:v1"}`},
		"gcr no bearer": {typ: notificationv1.GCRReceiver, secret: gcrSecret, body: pubsub, claims: goodClaims, code: 401},
		"gcr invalid token": {typ: notificationv1.GCRReceiver, secret: gcrSecret, body: pubsub, code: 401,
			header: headers("Authorization", "Bearer id.token.sig")},
		"gcr other service account": {typ: notificationv1.GCRReceiver, secret: gcrSecret, body: pubsub, code: 401,
			claims: map[string]any{"iss": "accounts.google.com", "email": "other@p.iam.gserviceaccount.com", "email_verified": true},
			header: headers("Authorization", "Bearer id.token.sig")},
		"gcr unverified email": {typ: notificationv1.GCRReceiver, secret: gcrSecret, body: pubsub, code: 401,
			claims: map[string]any{"iss": "accounts.google.com", "email": "push@p.iam.gserviceaccount.com"},
			header: headers("Authorization", "Bearer id.token.sig")},
		"gcr other issuer": {typ: notificationv1.GCRReceiver, secret: gcrSecret, body: pubsub, code: 401,
			claims: map[string]any{"iss": "https://evil.example", "email": "push@p.iam.gserviceaccount.com", "email_verified": true},
			header: headers("Authorization", "Bearer id.token.sig")},
		"gcr without audience in the Secret": {typ: notificationv1.GCRReceiver, body: pubsub, claims: goodClaims, code: 400,
			header: headers("Authorization", "Bearer id.token.sig")},
		"gcr not a push message": {typ: notificationv1.GCRReceiver, secret: gcrSecret, body: `{}`, claims: goodClaims, code: 400,
			header: headers("Authorization", "Bearer id.token.sig")},

		"cdevents": {typ: notificationv1.CDEventsReceiver, events: []string{"dev.cdevents.artifact.published.0.2.0"}, body: cdevent,
			header: headers("Ce-Type", "dev.cdevents.artifact.published.0.2.0", "Ce-Id", "e-1"), deliver: "e-1", payload: cdevent},
		"cdevents filtered": {typ: notificationv1.CDEventsReceiver, events: []string{"dev.cdevents.artifact.published.0.2.0"}, body: cdevent, code: 400,
			header: headers("Ce-Type", "dev.cdevents.pipelinerun.queued.0.2.0")},
		"cdevents not a CDEvent": {typ: notificationv1.CDEventsReceiver, body: `{"context":{}}`, code: 400},

		"unknown type": {typ: "svn", body: body, code: 400},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			secret := tc.secret
			if secret == nil {
				secret = map[string][]byte{TokenKey: []byte(unitToken)}
			}
			header := tc.header
			if header == nil {
				header = http.Header{}
			}
			v := &validator{verifyIDToken: func(_ context.Context, token, audience string) (map[string]any, error) {
				if tc.claims == nil || token != "id.token.sig" || audience != "https://hooks.example/x" {
					return nil, errors.New("invalid token")
				}
				return tc.claims, nil
			}}
			got, err := v.validate(context.Background(), call{typ: tc.typ, events: tc.events, secret: secret, header: header, body: []byte(tc.body)})
			if tc.code != 0 {
				var ref *refusal
				if !errors.As(err, &ref) || ref.code != tc.code {
					t.Fatalf("validate = %+v, %v; want a %d refusal", got, err, tc.code)
				}
				if strings.Contains(ref.answer(), unitToken) {
					t.Errorf("the answer %q names the token", ref.answer())
				}
				return
			}
			if err != nil {
				t.Fatalf("validate refused: %v", err)
			}
			if got.ack != tc.ack || got.delivery != tc.deliver || string(got.payload) != tc.payload {
				t.Errorf("validate = {ack %v delivery %q payload %s}, want {ack %v delivery %q payload %s}",
					got.ack, got.delivery, got.payload, tc.ack, tc.deliver, tc.payload)
			}
		})
	}
}

// TestRefusalEcho checks that what a caller sent is answered back but kept
// out of the message that is logged.
func TestRefusalEcho(t *testing.T) {
	err := filter([]string{"push"}, "secret-looking-event", "X-GitHub-Event")
	var ref *refusal
	if !errors.As(err, &ref) {
		t.Fatalf("filter = %v", err)
	}
	if strings.Contains(ref.Error(), "secret-looking-event") || !strings.Contains(ref.answer(), "secret-looking-event") {
		t.Errorf("logged %q, answered %q", ref.Error(), ref.answer())
	}
}
