package notifier

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ferrycd/ferry/internal/events"
)

// Test helpers the commit status, incident and annotation tests share.

const (
	// csTestToken is the secret every test sends; no error may contain it.
	csTestToken = "tok-3f9a1c7e5b2d-secret"
	csTestSHA   = "0123456789abcdef0123456789abcdef01234567"
	csTestUID   = "5d3c8f4e-1b2a-4c6d-9e8f-0a1b2c3d4e5f"
	// csTestContext is commitStatusContext of csTestEvent with csTestUID.
	csTestContext = "kustomization/apps/5d3c8f4e"
)

// csRequest is one request a csServer received.
type csRequest struct {
	Method string
	// Path is the escaped path, as sent ("%2F" stays).
	Path   string
	Header http.Header
	Body   []byte
}

// csServer is a loopback HTTP server that records every request and
// answers each with code and body.
type csServer struct {
	*httptest.Server
	mu     sync.Mutex
	got    []csRequest
	code   int
	answer string
}

func csNewServer(t *testing.T) *csServer {
	t.Helper()
	s := &csServer{code: http.StatusCreated, answer: "{}"}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.got = append(s.got, csRequest{Method: r.Method, Path: r.URL.EscapedPath(), Header: r.Header.Clone(), Body: body})
		code, answer := s.code, s.answer
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_, _ = io.WriteString(w, answer)
	}))
	t.Cleanup(s.Close)
	return s
}

// respond makes the server answer code and body from now on.
func (s *csServer) respond(code int, body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.code, s.answer = code, body
}

func (s *csServer) requests() []csRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]csRequest(nil), s.got...)
}

// only returns the one request the server received.
func (s *csServer) only(t *testing.T) csRequest {
	t.Helper()
	got := s.requests()
	if len(got) != 1 {
		t.Fatalf("the server received %d requests, want 1", len(got))
	}
	return got[0]
}

// csTestEvent is an event about Kustomization flux-system/apps.
func csTestEvent(severity, reason, message string, metadata map[string]string) Event {
	return Event{
		InvolvedObject: corev1.ObjectReference{
			APIVersion: "kustomize.toolkit.fluxcd.io/v1",
			Kind:       "Kustomization",
			Namespace:  "flux-system",
			Name:       "apps",
			UID:        "7a6b5c4d-0000-4000-8000-000000000001",
		},
		Severity:            severity,
		Timestamp:           metav1.NewTime(time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)),
		Message:             message,
		Reason:              reason,
		Metadata:            metadata,
		ReportingController: "kustomize-controller",
	}
}

func csMustNew(t *testing.T, o Options) Notifier {
	t.Helper()
	n, err := New(o)
	if err != nil {
		t.Fatalf("New(%s): %v", o.Type, err)
	}
	return n
}

func csDecode(t *testing.T, body []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("decoding %s: %v", body, err)
	}
}

// csCheckAnswers posts e to a server answering 500 then 401, and checks
// that 500 is retryable, 401 is not, and neither error carries the token.
func csCheckAnswers(t *testing.T, options func(address string) Options, e Event) {
	t.Helper()
	for _, tc := range []struct {
		code      int
		retryable bool
	}{
		{http.StatusInternalServerError, true},
		{http.StatusUnauthorized, false},
	} {
		srv := csNewServer(t)
		srv.respond(tc.code, `{"message":"nope"}`)
		o := options(srv.URL)
		err := csMustNew(t, o).Post(context.Background(), e)
		if err == nil {
			t.Fatalf("%s: answer %d: no error", o.Type, tc.code)
		}
		if got := Retryable(err); got != tc.retryable {
			t.Errorf("%s: answer %d: Retryable = %v, want %v (%v)", o.Type, tc.code, got, tc.retryable, err)
		}
		csNoSecret(t, err, o)
		if len(srv.requests()) != 1 {
			t.Errorf("%s: answer %d: %d requests, want 1", o.Type, tc.code, len(srv.requests()))
		}
	}
}

// csNoSecret fails when err shows the Options' token, password or routing
// key.
func csNoSecret(t *testing.T, err error, o Options) {
	t.Helper()
	if err == nil {
		return
	}
	for _, secret := range []string{o.Token, o.Password, o.Channel} {
		if secret != "" && strings.Contains(err.Error(), secret) {
			t.Errorf("%s: the error shows a secret: %v", o.Type, err)
		}
	}
	if _, pass, ok := strings.Cut(o.Token, ":"); ok && pass != "" && strings.Contains(err.Error(), pass) {
		t.Errorf("%s: the error shows the password of the token: %v", o.Type, err)
	}
}

func TestCommitStatusState(t *testing.T) {
	rev := map[string]string{events.MetaRevision: "main@sha1:" + csTestSHA}
	tests := map[string]struct {
		e               Event
		skipProgressing bool
		want            csState
		ok              bool
	}{
		"error fails":                 {e: csTestEvent(events.SeverityError, "HealthCheckFailed", "x", rev), want: csFailure, ok: true},
		"info succeeds":               {e: csTestEvent(events.SeverityInfo, "ReconciliationSucceeded", "x", rev), want: csSuccess, ok: true},
		"progressing is pending":      {e: csTestEvent(events.SeverityInfo, "Progressing", "x", rev), want: csPending, ok: true},
		"progressing skipped":         {e: csTestEvent(events.SeverityInfo, "Progressing", "x", rev), skipProgressing: true},
		"progressing error still set": {e: csTestEvent(events.SeverityError, "Progressing", "x", rev), skipProgressing: true, want: csFailure, ok: true},
		"trace is not sent":           {e: csTestEvent(events.SeverityTrace, "Anything", "x", rev)},
		"no commit":                   {e: csTestEvent(events.SeverityError, "HealthCheckFailed", "x", nil)},
		"not a commit":                {e: csTestEvent(events.SeverityError, "Failed", "x", map[string]string{events.MetaRevision: "6.5.1@sha256:abc"})},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			sha, state, ok := csCommit(tc.e, tc.skipProgressing)
			if ok != tc.ok || state != tc.want {
				t.Fatalf("csCommit = %q, %v, %v; want state %v, %v", sha, state, ok, tc.want, tc.ok)
			}
			if ok && sha != csTestSHA {
				t.Errorf("sha = %q, want %q", sha, csTestSHA)
			}
		})
	}
}

func TestCommitStatusDescription(t *testing.T) {
	e := csTestEvent(events.SeverityInfo, "ReconciliationSucceeded", "Applied revision:\n  main@sha1:abc", nil)
	if got := csDescription(Options{}, e, 0); got != "Applied revision: main@sha1:abc" {
		t.Errorf("message description = %q", got)
	}
	if got := csDescription(Options{CommitStatus: "apps is ready"}, e, 0); got != "apps is ready" {
		t.Errorf("commitStatusExpr description = %q", got)
	}
	long := strings.Repeat("é", 200)
	got := csDescription(Options{}, csTestEvent(events.SeverityInfo, "R", long, nil), 140)
	if n := len([]rune(got)); n != 140 || !strings.HasSuffix(got, "...") {
		t.Errorf("trimmed description has %d runes: %q", n, got)
	}
}

func TestCommitStatusAddress(t *testing.T) {
	tests := map[string]struct {
		address  string
		segments []string
		wantErr  string
	}{
		"owner and repo":    {address: "https://github.com/org/repo", segments: []string{"org", "repo"}},
		".git and slash":    {address: "https://github.com/org/repo.git/", segments: []string{"org", "repo"}},
		"subgroups":         {address: "https://gitlab.com/group/sub/project", segments: []string{"group", "sub", "project"}},
		"empty":             {address: "", wantErr: "needs the repository's URL"},
		"owner only":        {address: "https://github.com/org", wantErr: "repository's http(s) URL"},
		"ssh":               {address: "ssh://git@github.com/org/repo", wantErr: "repository's http(s) URL"},
		"not a url":         {address: "github.com/org/repo", wantErr: "repository's http(s) URL"},
		"query":             {address: "https://github.com/org/repo?x=1", wantErr: "repository's http(s) URL"},
		"dot dot":           {address: "https://github.com/org/../repo", wantErr: "repository's http(s) URL"},
		"credentials in it": {address: "https://bot:" + csTestToken + "@github.com/org/repo", wantErr: "must not carry credentials"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			repo, err := csParseRepo("github", tc.address, "https://github.com/<owner>/<repo>")
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), csTestToken) {
					t.Errorf("the error shows the token: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(repo.segments, "/") != strings.Join(tc.segments, "/") {
				t.Errorf("segments = %q, want %q", repo.segments, tc.segments)
			}
		})
	}
}
