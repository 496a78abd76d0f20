package ui_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/scheme"
	"github.com/ferrycd/ferry/internal/testenv"
	"github.com/ferrycd/ferry/internal/ui"
)

var env *testenv.Env

func TestMain(m *testing.M) {
	env = testenv.Start(testenv.Options{})
	os.Exit(env.Run(m))
}

// newUI serves a UI reading through env.Client, with actions performed by
// actions (nil for a read-only UI).
func newUI(t *testing.T, actions func(*http.Request) (client.Client, string, error)) *testUI {
	t.Helper()
	return newUIWith(t, ui.Options{Actions: actions})
}

// newUIWith serves a UI reading through env.Client with the rest of opts
// (Actions, Logs, Engine, Visible, Dispatches ...).
func newUIWith(t *testing.T, opts ui.Options) *testUI {
	t.Helper()
	opts.Reader, opts.Log = env.Client, logr.Discard()
	s, err := ui.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return &testUI{Server: srv, s: s}
}

// restrictedUser creates the ServiceAccount ns/name, bound in ns to a Role
// of rules (with none, it has no rights), and returns a client acting as
// it.
func restrictedUser(t *testing.T, ns, name string, rules ...rbacv1.PolicyRule) client.Client {
	t.Helper()
	ctx := context.Background()
	objs := []client.Object{&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}}
	if len(rules) > 0 {
		objs = append(objs,
			&rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Rules: rules},
			&rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
				RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: name},
				Subjects: []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: ns, Name: name}}})
	}
	for _, obj := range objs {
		if err := env.Client.Create(ctx, obj); err != nil {
			t.Fatal(err)
		}
	}
	cfg := rest.CopyConfig(env.Config)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: "system:serviceaccount:" + ns + ":" + name}
	c, err := client.New(cfg, client.Options{Scheme: scheme.New()})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// testUI is a UI served on loopback.
type testUI struct {
	*httptest.Server
	s *ui.Server
}

// get fetches path from srv and returns the answer and its body.
func get(t *testing.T, srv *testUI, path string) (*http.Response, string) {
	t.Helper()
	resp, err := srv.Client().Get(srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(body)
}

// mustContain fails unless s holds each of subs.
func mustContain(t *testing.T, what, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			t.Errorf("%s does not contain %q:\n%s", what, sub, s)
		}
	}
}

// gitRepository creates a GitRepository, with its status set to a Ready
// condition of status and message and the artifact revision.
func gitRepository(t *testing.T, ns, name string, ready metav1.ConditionStatus, message, revision string) *sourcev1.GitRepository {
	t.Helper()
	ctx := context.Background()
	repo := &sourcev1.GitRepository{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       sourcev1.GitRepositorySpec{URL: "https://example.com/" + name + ".git", Interval: metav1.Duration{Duration: time.Minute}},
	}
	if err := env.Client.Create(ctx, repo); err != nil {
		t.Fatal(err)
	}
	repo.Status.Conditions = []metav1.Condition{condition(meta.ReadyCondition, ready, "Testing", message)}
	if revision != "" {
		repo.Status.Artifact = &meta.Artifact{Path: "x.tar.gz", URL: "http://example.com/x.tar.gz", Revision: revision, Digest: "sha256:0000000000000000000000000000000000000000000000000000000000000000", LastUpdateTime: metav1.Now()}
	}
	if err := env.Client.Status().Update(ctx, repo); err != nil {
		t.Fatal(err)
	}
	return repo
}

// kustomization creates a Kustomization of the GitRepository "repo" and
// sets its status with mutate.
func kustomization(t *testing.T, ns, name string, mutate func(*kustomizev1.Kustomization)) *kustomizev1.Kustomization {
	t.Helper()
	ctx := context.Background()
	ks := &kustomizev1.Kustomization{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: kustomizev1.KustomizationSpec{
			Interval:  metav1.Duration{Duration: time.Minute},
			Path:      "./deploy",
			SourceRef: kustomizev1.CrossNamespaceSourceReference{Kind: sourcev1.GitRepositoryKind, Name: "repo"},
		},
	}
	if err := env.Client.Create(ctx, ks); err != nil {
		t.Fatal(err)
	}
	if mutate != nil {
		mutate(ks)
		if err := env.Client.Status().Update(ctx, ks); err != nil {
			t.Fatal(err)
		}
	}
	return ks
}

// condition is a condition that changed a minute ago.
func condition(typ string, status metav1.ConditionStatus, reason, message string) metav1.Condition {
	return metav1.Condition{Type: typ, Status: status, Reason: reason, Message: message, LastTransitionTime: metav1.NewTime(time.Now().Add(-time.Minute))}
}

// ready and failing set a Kustomization's Ready condition.
func ready(message string) func(*kustomizev1.Kustomization) {
	return func(ks *kustomizev1.Kustomization) {
		ks.Status.Conditions = []metav1.Condition{condition(meta.ReadyCondition, metav1.ConditionTrue, meta.ReconciliationSucceededReason, message)}
		ks.Status.LastAppliedRevision = "main@sha1:1111111111111111111111111111111111111111"
	}
}

func failing(message string) func(*kustomizev1.Kustomization) {
	return func(ks *kustomizev1.Kustomization) {
		ks.Status.Conditions = []metav1.Condition{condition(meta.ReadyCondition, metav1.ConditionFalse, "BuildFailed", message)}
	}
}

var csrfInput = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// session is a browser: it keeps the CSRF cookie and the page's token.
type session struct {
	t     *testing.T
	srv   *testUI
	c     *http.Client
	token string
}

// newSession loads path as a browser would, keeping its cookie and token.
func newSession(t *testing.T, srv *testUI, path string) *session {
	t.Helper()
	jar := &cookieJar{cookies: map[string]*http.Cookie{}}
	s := &session{t: t, srv: srv, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	resp, err := s.c.Get(srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if m := csrfInput.FindStringSubmatch(string(body)); m != nil {
		s.token = m[1]
		return s
	}
	// A page without forms: sign the cookie as they would.
	ck := jar.cookies[ui.CSRFCookie]
	if ck == nil {
		t.Fatalf("no CSRF cookie from %s", path)
	}
	s.token = srv.s.CSRFToken(ck.Value)
	return s
}

// post posts form to path, as the page's form does.
func (s *session) post(path string, form url.Values) (*http.Response, string) {
	s.t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", s.srv.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := s.c.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

// cookieJar is the smallest jar: one host, every path.
type cookieJar struct{ cookies map[string]*http.Cookie }

func (j *cookieJar) SetCookies(_ *url.URL, cookies []*http.Cookie) {
	for _, c := range cookies {
		j.cookies[c.Name] = c
	}
}

func (j *cookieJar) Cookies(*url.URL) []*http.Cookie {
	var out []*http.Cookie
	for _, c := range j.cookies {
		out = append(out, c)
	}
	return out
}
