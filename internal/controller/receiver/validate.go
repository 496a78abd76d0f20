package receiver

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"mime"
	"net/http"
	"slices"
	"strings"

	notificationv1 "github.com/ferrycd/ferry/api/notification/v1"
)

// Types lists the Receiver types ferry serves: all of Flux's.
var Types = []string{notificationv1.GenericReceiver, notificationv1.GenericHMACReceiver, notificationv1.GitHubReceiver,
	notificationv1.GitLabReceiver, notificationv1.BitbucketReceiver, notificationv1.HarborReceiver,
	notificationv1.DockerHubReceiver, notificationv1.QuayReceiver, notificationv1.NexusReceiver,
	notificationv1.GCRReceiver, notificationv1.ACRReceiver, notificationv1.CDEventsReceiver}

// The keys of a Receiver's Secret.
const (
	// TokenKey holds the token every type needs: it salts the webhook path
	// and, for most types, authenticates the call.
	TokenKey = "token"
	// EmailKey holds, for type gcr, the service account the Pub/Sub push
	// subscription authenticates as.
	EmailKey = "email"
	// AudienceKey holds, for type gcr, the audience the push subscription
	// puts into its ID tokens.
	AudienceKey = "audience"
)

// call is what validation reads of one request.
type call struct {
	// typ and events are the Receiver's spec.type and spec.events.
	typ    string
	events []string
	// secret is the data of the Receiver's Secret.
	secret map[string][]byte
	header http.Header
	body   []byte
}

// verdict is what a call that passed validation asks for.
type verdict struct {
	// ack answers the call without reconciling: a ping of the service.
	ack bool
	// event is the event type the service reported, for the types that
	// filter on spec.events; it has passed the filter.
	event string
	// delivery is the service's id of this delivery, "" when it sends
	// none; the same id twice is a replay.
	delivery string
	// payload is the JSON document spec.resourceFilter sees as req; nil
	// when the call carries none.
	payload []byte
}

// refusal is a call validation refuses: the HTTP status to answer and a
// short message for the caller, which names no secret.
type refusal struct {
	code int
	msg  string
	// echo is added to the answer only, never to logs: it quotes what the
	// caller sent in a header.
	echo string
}

func (r *refusal) Error() string { return r.msg }

// answer is the message for the caller.
func (r *refusal) answer() string { return r.msg + r.echo }

func unauthorized(format string, args ...any) error {
	return &refusal{code: http.StatusUnauthorized, msg: fmt.Sprintf(format, args...)}
}

func badRequest(format string, args ...any) error {
	return &refusal{code: http.StatusBadRequest, msg: fmt.Sprintf(format, args...)}
}

// idTokenVerifier checks a Google-signed ID token for audience and returns
// its claims (google.golang.org/api/idtoken in production).
type idTokenVerifier func(ctx context.Context, token, audience string) (map[string]any, error)

// validator authenticates calls and reads what they ask for, per type.
type validator struct {
	verifyIDToken idTokenVerifier
}

// validate authenticates c as its type does and reads its event, delivery
// id and payload. Every comparison with a secret is constant-time. Its
// error is a *refusal.
func (v *validator) validate(ctx context.Context, c call) (*verdict, error) {
	token := c.secret[TokenKey]
	switch c.typ {
	case notificationv1.GenericReceiver:
		// The path, salted with the token, is the only secret.
		return &verdict{payload: jsonBody(c)}, nil

	case notificationv1.GenericHMACReceiver:
		if err := checkHMAC(c.header, "X-Signature", c.body, token); err != nil {
			return nil, err
		}
		return &verdict{payload: jsonBody(c)}, nil

	case notificationv1.GitHubReceiver:
		name := "X-Hub-Signature-256"
		if c.header.Get(name) == "" && c.header.Get("X-Hub-Signature") != "" {
			name = "X-Hub-Signature"
		}
		if err := checkHMAC(c.header, name, c.body, token); err != nil {
			return nil, err
		}
		event := c.header.Get("X-GitHub-Event")
		if event == "ping" {
			return &verdict{ack: true, event: event}, nil
		}
		if err := filter(c.events, event, "X-GitHub-Event"); err != nil {
			return nil, err
		}
		return &verdict{event: event, delivery: c.header.Get("X-GitHub-Delivery"), payload: jsonBody(c)}, nil

	case notificationv1.GitLabReceiver:
		if err := checkEqual(c.header, "X-Gitlab-Token", token); err != nil {
			return nil, err
		}
		event := c.header.Get("X-Gitlab-Event")
		if err := filter(c.events, event, "X-Gitlab-Event"); err != nil {
			return nil, err
		}
		return &verdict{event: event, delivery: c.header.Get("X-Gitlab-Event-UUID"), payload: jsonBody(c)}, nil

	case notificationv1.BitbucketReceiver:
		if err := checkHMAC(c.header, "X-Hub-Signature", c.body, token); err != nil {
			return nil, err
		}
		event := c.header.Get("X-Event-Key")
		if event == "diagnostics:ping" {
			return &verdict{ack: true, event: event}, nil
		}
		if err := filter(c.events, event, "X-Event-Key"); err != nil {
			return nil, err
		}
		return &verdict{event: event, delivery: c.header.Get("X-Request-UUID"), payload: jsonBody(c)}, nil

	case notificationv1.HarborReceiver:
		if err := checkEqual(c.header, "Authorization", token); err != nil {
			return nil, err
		}
		return &verdict{payload: jsonBody(c)}, nil

	case notificationv1.DockerHubReceiver:
		var p struct {
			PushData *struct {
				Tag string `json:"tag"`
			} `json:"push_data"`
			Repository struct {
				RepoURL string `json:"repo_url"`
			} `json:"repository"`
		}
		if err := json.Unmarshal(c.body, &p); err != nil || p.PushData == nil || p.Repository.RepoURL == "" {
			return nil, badRequest("the body is not a DockerHub push payload (push_data and repository.repo_url)")
		}
		return &verdict{payload: c.body}, nil

	case notificationv1.QuayReceiver:
		var p struct {
			DockerURL   string   `json:"docker_url"`
			UpdatedTags []string `json:"updated_tags"`
		}
		if err := json.Unmarshal(c.body, &p); err != nil || p.DockerURL == "" {
			return nil, badRequest("the body is not a Quay repository push payload (docker_url and updated_tags)")
		}
		return &verdict{payload: c.body}, nil

	case notificationv1.ACRReceiver:
		var p struct {
			Action string `json:"action"`
			Target struct {
				Repository string `json:"repository"`
				Tag        string `json:"tag"`
			} `json:"target"`
		}
		if err := json.Unmarshal(c.body, &p); err != nil || p.Action == "" {
			return nil, badRequest("the body is not an Azure Container Registry event (action and target)")
		}
		if p.Action == "ping" {
			return &verdict{ack: true, event: p.Action}, nil
		}
		if p.Target.Repository == "" {
			return nil, badRequest("the body is not an Azure Container Registry event (action and target)")
		}
		return &verdict{payload: c.body}, nil

	case notificationv1.NexusReceiver:
		sig := c.header.Get("X-Nexus-Webhook-Signature")
		if sig == "" {
			return nil, unauthorized("missing X-Nexus-Webhook-Signature header")
		}
		got, err := hex.DecodeString(sig)
		if err != nil || !hmac.Equal(got, mac(sha1.New, token, c.body)) {
			return nil, unauthorized("X-Nexus-Webhook-Signature does not match the body")
		}
		var p struct {
			Action         string `json:"action"`
			RepositoryName string `json:"repositoryName"`
		}
		if err := json.Unmarshal(c.body, &p); err != nil {
			return nil, badRequest("the body is not a Nexus webhook payload")
		}
		return &verdict{payload: c.body}, nil

	case notificationv1.GCRReceiver:
		return v.validateGCR(ctx, c)

	case notificationv1.CDEventsReceiver:
		var p struct {
			Context struct {
				Version string `json:"version"`
				ID      string `json:"id"`
				Source  string `json:"source"`
				Type    string `json:"type"`
			} `json:"context"`
			Subject map[string]any `json:"subject"`
		}
		err := json.Unmarshal(c.body, &p)
		if err != nil || p.Context.ID == "" || p.Context.Source == "" || p.Context.Version == "" ||
			!strings.HasPrefix(p.Context.Type, "dev.cdevents.") || p.Subject == nil {
			return nil, badRequest("the body is not a CDEvent (context.version, id, source, type dev.cdevents.* and subject)")
		}
		event := c.header.Get("Ce-Type")
		if err := filter(c.events, event, "Ce-Type"); err != nil {
			return nil, err
		}
		return &verdict{event: event, delivery: c.header.Get("Ce-Id"), payload: c.body}, nil
	}
	return nil, badRequest("receiver type %q is not supported", c.typ)
}

// validateGCR authenticates a Google Pub/Sub push (from Container or
// Artifact Registry) as Google documents: the bearer token is an ID token
// signed by Google for the subscription's audience, issued by
// accounts.google.com for the expected, verified service account. The
// payload the filter sees is the registry's event unwrapped from the
// Pub/Sub message, as Flux.
func (v *validator) validateGCR(ctx context.Context, c call) (*verdict, error) {
	email, audience := string(c.secret[EmailKey]), string(c.secret[AudienceKey])
	if email == "" || audience == "" {
		// The reconciler refuses such a Receiver; this is a Secret changed
		// since.
		return nil, badRequest("the Receiver's Secret lacks the %s or %s of the push subscription", EmailKey, AudienceKey)
	}
	bearer, ok := strings.CutPrefix(c.header.Get("Authorization"), "Bearer ")
	if !ok || bearer == "" {
		return nil, unauthorized("missing Authorization: Bearer <Google ID token> header")
	}
	if v.verifyIDToken == nil {
		return nil, badRequest("Google ID tokens cannot be verified by this server")
	}
	claims, err := v.verifyIDToken(ctx, bearer, audience)
	if err != nil {
		return nil, unauthorized("the Google ID token is not valid for the Receiver's audience")
	}
	if iss, _ := claims["iss"].(string); iss != "accounts.google.com" && iss != "https://accounts.google.com" {
		return nil, unauthorized("the Google ID token was not issued by accounts.google.com")
	}
	got, _ := claims["email"].(string)
	verified, _ := claims["email_verified"].(bool)
	if subtle.ConstantTimeCompare([]byte(got), []byte(email)) != 1 || !verified {
		return nil, unauthorized("the Google ID token is not for the Receiver's service account")
	}

	var push struct {
		Message struct {
			Data      string `json:"data"`
			MessageID string `json:"messageId"`
		} `json:"message"`
	}
	if err := json.Unmarshal(c.body, &push); err != nil || push.Message.Data == "" {
		return nil, badRequest("the body is not a Pub/Sub push message")
	}
	raw, err := base64.StdEncoding.DecodeString(push.Message.Data)
	if err != nil {
		return nil, badRequest("the Pub/Sub message data is not base64")
	}
	var event struct {
		Action string `json:"action"`
		Digest string `json:"digest"`
		Tag    string `json:"tag"`
	}
	if err := json.Unmarshal(raw, &event); err != nil {
		return nil, badRequest("the Pub/Sub message data is not a registry event")
	}
	payload, _ := json.Marshal(event)
	return &verdict{delivery: push.Message.MessageID, payload: payload}, nil
}

// checkHMAC checks the header name, "<sha1|sha256|sha512>=<hex HMAC of
// body with key>", as GitHub, Gitea, Bitbucket Server and Flux's
// generic-hmac sign.
func checkHMAC(h http.Header, name string, body, key []byte) error {
	value := h.Get(name)
	if value == "" {
		return unauthorized("missing %s header", name)
	}
	algo, sig, ok := strings.Cut(value, "=")
	if !ok {
		return unauthorized("%s is not <algorithm>=<hex digest>", name)
	}
	var newHash func() hash.Hash
	switch strings.ToLower(algo) {
	case "sha1":
		newHash = sha1.New
	case "sha256":
		newHash = sha256.New
	case "sha512":
		newHash = sha512.New
	default:
		return unauthorized("%s uses %q; use sha1, sha256 or sha512", name, algo)
	}
	got, err := hex.DecodeString(sig)
	if err != nil {
		return unauthorized("%s is not <algorithm>=<hex digest>", name)
	}
	if !hmac.Equal(got, mac(newHash, key, body)) {
		return unauthorized("%s does not match the body", name)
	}
	return nil
}

// checkEqual checks the header name carries key, in constant time.
func checkEqual(h http.Header, name string, key []byte) error {
	value := h.Get(name)
	if value == "" {
		return unauthorized("missing %s header", name)
	}
	if subtle.ConstantTimeCompare([]byte(value), key) != 1 {
		return unauthorized("%s does not match the Receiver's token", name)
	}
	return nil
}

// mac returns the HMAC of body with key.
func mac(h func() hash.Hash, key, body []byte) []byte {
	m := hmac.New(h, key)
	m.Write(body)
	return m.Sum(nil)
}

// filter accepts event when events is empty or lists it (ignoring case),
// as Flux.
func filter(events []string, event, header string) error {
	if len(events) == 0 || slices.ContainsFunc(events, func(e string) bool { return strings.EqualFold(e, event) }) {
		return nil
	}
	if event == "" {
		return badRequest("missing %s header, which spec.events filters on", header)
	}
	return &refusal{code: http.StatusBadRequest, msg: "the " + header + " event is not in the Receiver's spec.events",
		echo: fmt.Sprintf(": %q", truncate(event, 64))}
}

// jsonBody returns the body when the call says it is JSON, for the
// resource filter's req.
func jsonBody(c call) []byte {
	for _, v := range strings.Split(c.header.Get("Content-Type"), ",") {
		t, _, err := mime.ParseMediaType(strings.TrimSpace(v))
		if err == nil && (t == "application/json" || strings.HasSuffix(t, "+json")) {
			return c.body
		}
	}
	return nil
}

// truncate shortens s to at most n bytes for a message.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
