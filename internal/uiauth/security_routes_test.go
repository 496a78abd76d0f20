package uiauth_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/scheme"
	"github.com/ferrycd/ferry/internal/testenv"
	"github.com/ferrycd/ferry/internal/ui"
	"github.com/ferrycd/ferry/internal/uiauth"
)

// serveUIWithActions serves the UI as ferry controller does: behind
// Require, each user seeing what they may list, and acting with their own
// token.
func serveUIWithActions(t *testing.T) *httptest.Server {
	t.Helper()
	auth, err := uiauth.New(env.Config, client.Options{Scheme: scheme.New()})
	if err != nil {
		t.Fatal(err)
	}
	var s *ui.Server
	s, err = ui.New(ui.Options{
		Reader: env.Client,
		Log:    logr.Discard(),
		Visible: auth.Visible(ui.KindResources(), func(ctx context.Context) (map[string][]string, error) {
			return s.Namespaces(ctx)
		}),
		Actions: func(r *http.Request) (client.Client, string, error) {
			u, ok := uiauth.FromContext(r.Context())
			if !ok {
				return nil, "", errors.New("not signed in")
			}
			c, err := auth.Client(u)
			return c, u.Name, err
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(auth.Require(s.Handler()))
	t.Cleanup(srv.Close)
	return srv
}

// rawRequest sends a request line as written, so that paths reach the
// server uncleaned, and returns the status and the answer.
func rawRequest(t *testing.T, addr, method, target string, header http.Header) (int, string) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	var b strings.Builder
	b.WriteString(method + " " + target + " HTTP/1.1\r\nHost: " + addr + "\r\nConnection: close\r\n")
	for k, vs := range header {
		for _, v := range vs {
			b.WriteString(k + ": " + v + "\r\n")
		}
	}
	if method == http.MethodPost {
		b.WriteString("Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 0\r\n")
	}
	b.WriteString("\r\n")
	if _, err := io.WriteString(conn, b.String()); err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(io.LimitReader(conn, 1<<20))
	line, _, _ := strings.Cut(string(answer), "\r\n")
	parts := strings.SplitN(line, " ", 3)
	if len(parts) < 2 {
		return 0, string(answer)
	}
	status, _ := strconv.Atoi(parts[1])
	return status, string(answer)
}

// TestEveryRouteNeedsSignIn requests every route of the UI, and paths
// crafted to slip past the sign-in check (through /static/ or /login with
// "..", encoded dots and slashes, doubled slashes, other methods), without
// a token and with bad ones: none, an empty bearer, a wrong token, a wrong
// cookie, Basic credentials, a token in the query, the token of a
// ServiceAccount deleted since. No answer is a page: each is the sign-in
// redirect, a 401, a redirect to a cleaned path or a 404/405, none names
// the namespace's objects, and no action changed anything.
func TestEveryRouteNeedsSignIn(t *testing.T) {
	ctx := context.Background()
	ns := env.NewNamespace(t, "uiroutes")
	const name = "hidden-kustomization-name"
	ks := &kustomizev1.Kustomization{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: kustomizev1.KustomizationSpec{Interval: metav1.Duration{Duration: time.Hour}, Path: "./",
			SourceRef: kustomizev1.CrossNamespaceSourceReference{Kind: sourcev1.GitRepositoryKind, Name: "repo"}},
	}
	if err := env.Client.Create(ctx, ks); err != nil {
		t.Fatal(err)
	}
	deleted := token(t, ns, "gone", true)
	if err := env.Client.Delete(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "gone"}}); err != nil {
		t.Fatal(err)
	}
	srv := serveUIWithActions(t)
	addr := strings.TrimPrefix(srv.URL, "http://")
	obj := "/o/Kustomization/" + ns + "/" + name

	routes := []string{"/", "/search?q=" + name, "/graph", "/trace?kind=Kustomization&namespace=" + ns + "&name=" + name,
		"/k/Kustomization", "/k/GitRepository?ns=" + ns, obj, obj + "/log", obj + "/health", obj + "/diff", obj + "/files/",
		"/engine", "/live", "/notifications", "/nonexistent"}
	tricks := []string{
		"/static/../k/Kustomization", "/static/..%2fk%2fKustomization", "/static/%2e%2e/k/Kustomization",
		"/static/%2e%2e%2f" + strings.TrimPrefix(obj, "/"), "//k/Kustomization", "/login/../k/Kustomization",
		"/login/..%2fk/Kustomization", "/./k/Kustomization", "/static//../k/Kustomization", "/k/Kustomization/../../" + strings.TrimPrefix(obj, "/"),
		"http://" + addr + "/k/Kustomization", "*",
	}
	creds := map[string]http.Header{
		"none":          {},
		"empty bearer":  {"Authorization": {"Bearer "}},
		"wrong bearer":  {"Authorization": {"Bearer not-a-token"}},
		"wrong cookie":  {"Cookie": {uiauth.CookieName + "=not-a-token"}},
		"basic":         {"Authorization": {"Basic YWRtaW46YWRtaW4="}},
		"deleted SA":    {"Authorization": {"Bearer " + deleted}},
		"SSE, no token": {"Accept": {"text/event-stream"}},
	}
	requests := 0
	check := func(method, target, what string, h http.Header) {
		t.Helper()
		status, answer := rawRequest(t, addr, method, target, h)
		requests++
		header, body, _ := strings.Cut(answer, "\r\n\r\n")
		location := ""
		for _, line := range strings.Split(header, "\r\n") {
			if k, v, ok := strings.Cut(line, ": "); ok && strings.EqualFold(k, "Location") {
				location = v
			}
		}
		ok := false
		switch status {
		case http.StatusSeeOther:
			ok = location == uiauth.LoginPath
		case http.StatusUnauthorized, http.StatusNotFound, http.StatusMethodNotAllowed, http.StatusBadRequest:
			ok = true
		case http.StatusMovedPermanently, http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
			ok = location != "" // the mux cleaning the path: the next request is checked again
		}
		if !ok {
			t.Errorf("%s %s (%s): %d, Location %q:\n%.300s", method, target, what, status, location, body)
		}
		// A redirect may repeat the path asked for, never anything else.
		if strings.Contains(body, name) && !strings.Contains(target, name) {
			t.Errorf("%s %s (%s): the answer names the hidden Kustomization", method, target, what)
		}
	}
	for what, h := range creds {
		for _, r := range append(routes, tricks...) {
			for _, method := range []string{http.MethodGet, http.MethodHead} {
				check(method, r, what, h)
			}
		}
		for _, action := range []string{"reconcile", "suspend", "resume"} {
			check(http.MethodPost, obj+"/"+action, what, h)
			check(http.MethodPost, "/static/../"+strings.TrimPrefix(obj, "/")+"/"+action, what, h)
		}
		for _, method := range []string{http.MethodPut, http.MethodDelete, http.MethodPatch, http.MethodOptions, "CONNECT"} {
			check(method, obj+"/reconcile", what, h)
			check(method, "/static/../"+strings.TrimPrefix(obj, "/")+"/reconcile", what, h)
		}
	}
	t.Logf("%d requests refused", requests)

	// The same server shows the page to a signed-in viewer: the sweep
	// above would have seen a page had one been served.
	viewer := token(t, ns, "viewer", true)
	status, answer := rawRequest(t, addr, http.MethodGet, "/k/Kustomization?ns="+ns, http.Header{"Authorization": {"Bearer " + viewer}})
	if status != http.StatusOK || !strings.Contains(answer, name) {
		t.Errorf("a viewer's GET /k/Kustomization: %d, want 200 naming %s", status, name)
	}
	if err := env.Client.Get(ctx, testenv.Key(ns, name), ks); err != nil {
		t.Fatal(err)
	}
	if ks.Spec.Suspend || ks.Annotations[meta.ReconcileRequestAnnotation] != "" {
		t.Errorf("an unauthenticated request changed the Kustomization: suspend %v, annotations %v", ks.Spec.Suspend, ks.Annotations)
	}
}
