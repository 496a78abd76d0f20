package notifier

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// chatRequest is what the test server received.
type chatRequest struct {
	Method, URI string
	Header      http.Header
	Body        []byte
}

// chatServer is a loopback service that records every request and
// answers with code and body.
type chatServer struct {
	*httptest.Server
	mu       sync.Mutex
	requests []chatRequest
	code     int
	answer   string
}

func newChatServer(t *testing.T, code int, answer string) *chatServer {
	t.Helper()
	s := &chatServer{code: code, answer: answer}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.requests = append(s.requests, chatRequest{Method: r.Method, URI: r.RequestURI, Header: r.Header.Clone(), Body: body})
		s.mu.Unlock()
		w.WriteHeader(s.code)
		_, _ = io.WriteString(w, s.answer)
	}))
	t.Cleanup(s.Close)
	return s
}

// only returns the one request the server received.
func (s *chatServer) only(t *testing.T) chatRequest {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.requests) != 1 {
		t.Fatalf("the server received %d requests, want 1", len(s.requests))
	}
	return s.requests[0]
}

func chatTestEvent(severity string) Event {
	return Event{
		InvolvedObject: corev1.ObjectReference{
			APIVersion: "kustomize.toolkit.fluxcd.io/v1",
			Kind:       "Kustomization",
			Name:       "apps",
			Namespace:  "flux-system",
		},
		Severity:  severity,
		Timestamp: metav1.NewTime(time.Date(2026, 8, 1, 12, 0, 0, 0, time.UTC)),
		Message:   "Deployment/apps/web configured",
		Reason:    "ReconciliationSucceeded",
		Metadata: map[string]string{
			"revision": "main@sha1:0123456789abcdef0123456789abcdef01234567",
			"summary":  "prod <eu>",
		},
		ReportingController: "kustomize-controller",
		ReportingInstance:   "ferry-0",
	}
}

func chatNew(t *testing.T, o Options) Notifier {
	t.Helper()
	n, err := New(o)
	if err != nil {
		t.Fatalf("New(%s): %v", o.Type, err)
	}
	return n
}

// chatAssertJSON compares a JSON body with the JSON want, key order and
// spacing aside.
func chatAssertJSON(t *testing.T, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("the body is not JSON: %v\n%s", err, got)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("the test's want is not JSON: %v", err)
	}
	if !reflect.DeepEqual(g, w) {
		pretty, _ := json.MarshalIndent(g, "", "  ")
		t.Errorf("payload:\n%s\nwant:\n%s", pretty, want)
	}
}

func chatAssertHeader(t *testing.T, r chatRequest, key, want string) {
	t.Helper()
	if got := r.Header.Get(key); got != want {
		t.Errorf("header %s = %q, want %q", key, got, want)
	}
}

func TestGenericPostsTheEventAsIs(t *testing.T) {
	srv := newChatServer(t, http.StatusOK, "")
	n := chatNew(t, Options{Type: "generic", Address: srv.URL + "/hook", Headers: map[string]string{"x-team": "platform", "content-type": "application/vnd.ferry+json"}})
	e := chatTestEvent("info")
	if err := n.Post(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	r := srv.only(t)
	if r.Method != http.MethodPost || r.URI != "/hook" {
		t.Errorf("request %s %s, want POST /hook", r.Method, r.URI)
	}
	want, _ := json.Marshal(e)
	if string(r.Body) != string(want) {
		t.Errorf("body:\n%s\nwant:\n%s", r.Body, want)
	}
	chatAssertHeader(t, r, "Gotk-Component", "kustomize-controller")
	chatAssertHeader(t, r, "X-Team", "platform")
	chatAssertHeader(t, r, "Content-Type", "application/vnd.ferry+json")
	chatAssertHeader(t, r, "X-Signature", "")
}

func TestGenericHMACSignsTheBody(t *testing.T) {
	srv := newChatServer(t, http.StatusAccepted, "")
	n := chatNew(t, Options{Type: "generic-hmac", Address: srv.URL, Token: "s3cret", Headers: map[string]string{"X-Signature": "forged"}})
	if err := n.Post(context.Background(), chatTestEvent("error")); err != nil {
		t.Fatal(err)
	}
	r := srv.only(t)
	mac := hmac.New(sha256.New, []byte("s3cret"))
	mac.Write(r.Body)
	chatAssertHeader(t, r, "X-Signature", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	chatAssertHeader(t, r, "Content-Type", "application/json")
	chatAssertHeader(t, r, "Gotk-Component", "kustomize-controller")
	var got Event
	if err := json.Unmarshal(r.Body, &got); err != nil || got.Severity != "error" || got.Message != "Deployment/apps/web configured" {
		t.Errorf("body %s does not decode to the event (%v)", r.Body, err)
	}
}

func TestGenericHMACNeedsAToken(t *testing.T) {
	_, err := New(Options{Type: "generic-hmac", Address: "https://example.org/hook"})
	if err == nil || err.Error() != "generic-hmac needs a token in the Secret" {
		t.Fatalf("err = %v, want the missing token", err)
	}
}

const chatSlackWant = `{
  "channel": "alerts",
  "username": "ferry",
  "attachments": [{
    "color": "danger",
    "author_name": "Kustomization/apps.flux-system",
    "fallback": "Kustomization/apps.flux-system: Deployment/apps/web configured",
    "text": "Deployment/apps/web configured",
    "mrkdwn_in": ["text"],
    "fields": [
      {"title": "revision", "value": "main@sha1:0123456789abcdef0123456789abcdef01234567", "short": false},
      {"title": "summary", "value": "prod <eu>", "short": false}
    ]
  }]
}`

func TestSlackWebhook(t *testing.T) {
	srv := newChatServer(t, http.StatusOK, "ok")
	n := chatNew(t, Options{Type: "slack", Address: srv.URL + "/services/T0/B0/XXX", Channel: "alerts", Username: "ferry"})
	if err := n.Post(context.Background(), chatTestEvent("error")); err != nil {
		t.Fatal(err)
	}
	r := srv.only(t)
	if r.Method != http.MethodPost || r.URI != "/services/T0/B0/XXX" {
		t.Errorf("request %s %s", r.Method, r.URI)
	}
	chatAssertJSON(t, r.Body, chatSlackWant)
	chatAssertHeader(t, r, "Authorization", "")
}

func TestSlackInfoIsGood(t *testing.T) {
	p := newSlackPayload(chatTestEvent("info"), "", "")
	if p.Attachments[0].Color != "good" {
		t.Errorf("color = %q, want good", p.Attachments[0].Color)
	}
}

func TestSlackBotToken(t *testing.T) {
	srv := newChatServer(t, http.StatusOK, `{"ok":true,"channel":"C1","ts":"1.2"}`)
	n := chatNew(t, Options{Type: "slack", Address: srv.URL + "/api/chat.postMessage", Channel: "alerts", Username: "ferry", Token: "xoxb-1"})
	if err := n.Post(context.Background(), chatTestEvent("error")); err != nil {
		t.Fatal(err)
	}
	r := srv.only(t)
	chatAssertHeader(t, r, "Authorization", "Bearer xoxb-1")
	chatAssertJSON(t, r.Body, chatSlackWant)
}

func TestSlackAPIRefusal(t *testing.T) {
	tests := map[string]struct {
		answer    string
		retryable bool
	}{
		"channel_not_found": {`{"ok":false,"error":"channel_not_found"}`, false},
		"invalid_auth":      {`{"ok":false,"error":"invalid_auth"}`, false},
		"internal_error":    {`{"ok":false,"error":"internal_error"}`, true},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			srv := newChatServer(t, http.StatusOK, tt.answer)
			n := chatNew(t, Options{Type: "slack", Address: srv.URL + "/api/chat.postMessage", Channel: "alerts", Token: "xoxb-1"})
			err := n.Post(context.Background(), chatTestEvent("info"))
			if err == nil || !strings.Contains(err.Error(), name) {
				t.Fatalf("err = %v, want Slack's %s", err, name)
			}
			if Retryable(err) != tt.retryable {
				t.Errorf("Retryable(%v) = %v, want %v", err, !tt.retryable, tt.retryable)
			}
			if strings.Contains(err.Error(), "xoxb-1") {
				t.Errorf("the error carries the token: %v", err)
			}
		})
	}
}

func TestSlackFactoryErrors(t *testing.T) {
	if _, err := New(Options{Type: "slack"}); err == nil {
		t.Error("slack without address or token: no error")
	}
	if _, err := New(Options{Type: "slack", Token: "xoxb-1"}); err == nil || !strings.Contains(err.Error(), "spec.channel") {
		t.Errorf("slack with a token and no channel: err = %v", err)
	}
	n, err := New(Options{Type: "slack", Token: "xoxb-1", Channel: "alerts"})
	if err != nil || n.(*slack).address != slackAPI {
		t.Errorf("slack with a token and no address: %v, want %s", err, slackAPI)
	}
}

func TestDiscordPostsToTheSlackEndpoint(t *testing.T) {
	srv := newChatServer(t, http.StatusOK, "ok")
	n := chatNew(t, Options{Type: "discord", Address: srv.URL + "/api/webhooks/1/tok?thread_id=7", Channel: "ignored", Username: "ferry"})
	if err := n.Post(context.Background(), chatTestEvent("error")); err != nil {
		t.Fatal(err)
	}
	r := srv.only(t)
	if r.URI != "/api/webhooks/1/tok/slack?thread_id=7" {
		t.Errorf("request URI %s, want the /slack endpoint", r.URI)
	}
	chatAssertJSON(t, r.Body, strings.Replace(chatSlackWant, `"channel": "alerts",`, "", 1))
}

func TestRocket(t *testing.T) {
	srv := newChatServer(t, http.StatusOK, `{"success":true}`)
	n := chatNew(t, Options{Type: "rocket", Address: srv.URL + "/hooks/abc/def", Channel: "alerts", Username: "ferry"})
	if err := n.Post(context.Background(), chatTestEvent("error")); err != nil {
		t.Fatal(err)
	}
	r := srv.only(t)
	if r.Method != http.MethodPost || r.URI != "/hooks/abc/def" {
		t.Errorf("request %s %s", r.Method, r.URI)
	}
	chatAssertJSON(t, r.Body, chatSlackWant)
}

func TestMSTeamsWorkflowsAdaptiveCard(t *testing.T) {
	srv := newChatServer(t, http.StatusAccepted, "")
	n := chatNew(t, Options{Type: "msteams", Address: srv.URL + "/workflows/abc/triggers/manual/paths/invoke?sig=xyz"})
	if err := n.Post(context.Background(), chatTestEvent("error")); err != nil {
		t.Fatal(err)
	}
	r := srv.only(t)
	chatAssertJSON(t, r.Body, `{
	  "type": "message",
	  "attachments": [{
	    "contentType": "application/vnd.microsoft.card.adaptive",
	    "content": {
	      "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
	      "type": "AdaptiveCard",
	      "version": "1.4",
	      "body": [
	        {"type": "TextBlock", "text": "Kustomization/apps.flux-system", "weight": "Bolder", "size": "Medium", "color": "Attention", "wrap": true},
	        {"type": "TextBlock", "text": "Deployment/apps/web configured", "wrap": true},
	        {"type": "FactSet", "facts": [
	          {"title": "revision", "value": "main@sha1:0123456789abcdef0123456789abcdef01234567"},
	          {"title": "summary", "value": "prod <eu>"}
	        ]}
	      ]
	    }
	  }]
	}`)
}

func TestMSTeamsConnectorMessageCard(t *testing.T) {
	card := newMSTeamsMessageCard(chatTestEvent("info"))
	got, _ := json.Marshal(card)
	chatAssertJSON(t, got, `{
	  "@type": "MessageCard",
	  "@context": "https://schema.org/extensions",
	  "themeColor": "2EB886",
	  "summary": "Kustomization/apps.flux-system",
	  "sections": [{
	    "activityTitle": "Kustomization/apps.flux-system",
	    "activitySubtitle": "Deployment/apps/web configured",
	    "markdown": false,
	    "facts": [
	      {"name": "revision", "value": "main@sha1:0123456789abcdef0123456789abcdef01234567"},
	      {"name": "summary", "value": "prod <eu>"}
	    ]
	  }]
	}`)
	if c := newMSTeamsMessageCard(chatTestEvent("error")); c.ThemeColor != "D93025" {
		t.Errorf("error themeColor = %s", c.ThemeColor)
	}
}

func TestMSTeamsChoosesTheCardByAddress(t *testing.T) {
	tests := map[string]bool{
		"https://contoso.webhook.office.com/webhookb2/a@b/IncomingWebhook/c/d":                   true,
		"https://outlook.office.com/webhook/a@b/IncomingWebhook/c/d":                             true,
		"https://prod-01.westus.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke":  false,
		"https://default1234.environment.api.powerplatform.com/powerautomate/automations/direct": false,
		"https://webhook.office.com.example.org/x":                                               false,
	}
	for address, legacy := range tests {
		if got := msteamsConnector(address); got != legacy {
			t.Errorf("msteamsConnector(%s) = %v, want %v", address, got, legacy)
		}
	}
}

func TestGoogleChatCard(t *testing.T) {
	srv := newChatServer(t, http.StatusOK, "{}")
	n := chatNew(t, Options{Type: "googlechat", Address: srv.URL + "/v1/spaces/AAA/messages?key=k&token=t"})
	if err := n.Post(context.Background(), chatTestEvent("error")); err != nil {
		t.Fatal(err)
	}
	r := srv.only(t)
	if r.URI != "/v1/spaces/AAA/messages?key=k&token=t" {
		t.Errorf("request URI %s", r.URI)
	}
	chatAssertJSON(t, r.Body, `{
	  "cardsV2": [{
	    "cardId": "ferry-event",
	    "card": {
	      "header": {"title": "Kustomization/apps.flux-system", "subtitle": "error"},
	      "sections": [
	        {"widgets": [{"textParagraph": {"text": "<font color=\"#d93025\">Deployment/apps/web configured</font>"}}]},
	        {"widgets": [
	          {"decoratedText": {"topLabel": "revision", "text": "main@sha1:0123456789abcdef0123456789abcdef01234567"}},
	          {"decoratedText": {"topLabel": "summary", "text": "prod &lt;eu&gt;"}}
	        ]}
	      ]
	    }
	  }]
	}`)
}

func TestTelegramSendMessage(t *testing.T) {
	srv := newChatServer(t, http.StatusOK, `{"ok":true}`)
	n := chatNew(t, Options{Type: "telegram", Address: srv.URL + "/", Token: "123:ABC", Channel: "-100200"})
	if err := n.Post(context.Background(), chatTestEvent("error")); err != nil {
		t.Fatal(err)
	}
	r := srv.only(t)
	if r.Method != http.MethodPost || r.URI != "/bot123:ABC/sendMessage" {
		t.Errorf("request %s %s, want POST /bot<token>/sendMessage", r.Method, r.URI)
	}
	chatAssertJSON(t, r.Body, `{
	  "chat_id": "-100200",
	  "parse_mode": "HTML",
	  "text": "<b>Kustomization/apps.flux-system</b> <b>error</b>\nDeployment/apps/web configured\n\n<b>revision</b>: <code>main@sha1:0123456789abcdef0123456789abcdef01234567</code>\n<b>summary</b>: <code>prod &lt;eu&gt;</code>"
	}`)
}

func TestTelegramDefaultsAndErrors(t *testing.T) {
	n, err := New(Options{Type: "telegram", Token: "123:ABC", Channel: "@ops"})
	if err != nil || n.(*telegram).address != "https://api.telegram.org/bot123:ABC/sendMessage" {
		t.Errorf("telegram without an address: %v", err)
	}
	if _, err := New(Options{Type: "telegram", Channel: "@ops"}); err == nil {
		t.Error("telegram without a token: no error")
	}
	if _, err := New(Options{Type: "telegram", Token: "123:ABC"}); err == nil {
		t.Error("telegram without a chat id: no error")
	}
	long := chatTestEvent("info")
	long.Message = strings.Repeat("x", 5000)
	if got := newTelegramMessage(long, "@ops").Text; len([]rune(got)) > 4096 {
		t.Errorf("a 5000-character message gives a %d-character text", len([]rune(got)))
	}
}

func TestMatrixSendsAnIdempotentMessage(t *testing.T) {
	srv := newChatServer(t, http.StatusOK, `{"event_id":"$1"}`)
	n := chatNew(t, Options{Type: "matrix", Address: srv.URL, Token: "syt_abc", Channel: "!room/x:example.org"})
	e := chatTestEvent("error")
	for range 2 {
		if err := n.Post(context.Background(), e); err != nil {
			t.Fatal(err)
		}
	}
	srv.mu.Lock()
	first, second := srv.requests[0], srv.requests[1]
	srv.mu.Unlock()
	txn, _ := matrixTxnID(e)
	if want := "/_matrix/client/v3/rooms/%21room%2Fx:example.org/send/m.room.message/" + txn; first.URI != want {
		t.Errorf("request URI %s, want %s", first.URI, want)
	}
	if first.Method != http.MethodPut || second.URI != first.URI {
		t.Errorf("requests %s %s and %s: want two PUTs to one transaction", first.Method, first.URI, second.URI)
	}
	other := e
	other.Message = "another"
	if id, _ := matrixTxnID(other); id == txn {
		t.Error("two events share a transaction id")
	}
	chatAssertHeader(t, first, "Authorization", "Bearer syt_abc")
	chatAssertJSON(t, first.Body, `{
	  "msgtype": "m.text",
	  "body": "Kustomization/apps.flux-system (error)\nDeployment/apps/web configured\n\nrevision: main@sha1:0123456789abcdef0123456789abcdef01234567\nsummary: prod <eu>",
	  "format": "org.matrix.custom.html",
	  "formatted_body": "<b>Kustomization/apps.flux-system</b> <font data-mx-color=\"#d93025\"><b>error</b></font>\nDeployment/apps/web configured\n\n<b>revision</b>: <code>main@sha1:0123456789abcdef0123456789abcdef01234567</code>\n<b>summary</b>: <code>prod &lt;eu&gt;</code>"
	}`)
}

// chatTypes are the Options of every chat type against a server at base,
// with a secret path and token the errors must not show.
func chatTypes(base string) map[string]Options {
	const path, token = "/secret-path-7f3a", "tok-9b2c"
	return map[string]Options{
		"generic":      {Type: "generic", Address: base + path},
		"generic-hmac": {Type: "generic-hmac", Address: base + path, Token: token},
		"slack":        {Type: "slack", Address: base + path, Channel: "alerts", Token: token},
		"discord":      {Type: "discord", Address: base + path},
		"rocket":       {Type: "rocket", Address: base + path},
		"msteams":      {Type: "msteams", Address: base + path},
		"googlechat":   {Type: "googlechat", Address: base + path},
		"telegram":     {Type: "telegram", Address: base + path, Token: token, Channel: "@ops"},
		"matrix":       {Type: "matrix", Address: base + path, Token: token, Channel: "!room:example.org"},
	}
}

func TestChatFailures(t *testing.T) {
	tests := map[string]struct {
		code      int
		retryable bool
	}{
		"500 is retried":     {http.StatusInternalServerError, true},
		"429 is retried":     {http.StatusTooManyRequests, true},
		"400 is not retried": {http.StatusBadRequest, false},
		"401 is not retried": {http.StatusUnauthorized, false},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			srv := newChatServer(t, tt.code, "nope")
			for typ, o := range chatTypes(srv.URL) {
				err := chatNew(t, o).Post(context.Background(), chatTestEvent("error"))
				if err == nil {
					t.Errorf("%s: a %d answer gives no error", typ, tt.code)
					continue
				}
				if Retryable(err) != tt.retryable {
					t.Errorf("%s: Retryable(%v) = %v, want %v", typ, err, !tt.retryable, tt.retryable)
				}
				chatAssertRedacted(t, typ, err)
			}
		})
	}
}

func TestChatUnreachable(t *testing.T) {
	srv := newChatServer(t, http.StatusOK, "")
	base := srv.URL
	srv.Close()
	for typ, o := range chatTypes(base) {
		err := chatNew(t, o).Post(context.Background(), chatTestEvent("info"))
		if err == nil || !Retryable(err) {
			t.Errorf("%s: a refused connection gives %v, want a retryable error", typ, err)
			continue
		}
		chatAssertRedacted(t, typ, err)
	}
}

func chatAssertRedacted(t *testing.T, typ string, err error) {
	t.Helper()
	for _, secret := range []string{"secret-path-7f3a", "tok-9b2c"} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("%s: the error shows %q: %v", typ, secret, err)
		}
	}
}

func TestChatTypesAreRegistered(t *testing.T) {
	for typ := range chatTypes("https://example.org") {
		if !Supported(typ) {
			t.Errorf("%s is not registered", typ)
		}
	}
}
