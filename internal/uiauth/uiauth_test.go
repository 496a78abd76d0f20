package uiauth_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/client"

	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/scheme"
	"github.com/ferrycd/ferry/internal/testenv"
	"github.com/ferrycd/ferry/internal/uiauth"
)

var env *testenv.Env

func TestMain(m *testing.M) {
	env = testenv.Start(testenv.Options{})
	os.Exit(env.Run(m))
}

// token returns a token of a new ServiceAccount without any RBAC rights.
func token(t *testing.T, ns string) string {
	t.Helper()
	ctx := context.Background()
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "viewer"}}
	if err := env.Client.Create(ctx, sa); err != nil {
		t.Fatal(err)
	}
	cs, err := kubernetes.NewForConfig(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := cs.CoreV1().ServiceAccounts(ns).CreateToken(ctx, "viewer", &authenticationv1.TokenRequest{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return tr.Status.Token
}

func TestAuthenticator(t *testing.T) {
	ns := env.NewNamespace(t, "uiauth")
	tok := token(t, ns)
	a, err := uiauth.New(env.Config, client.Options{Scheme: scheme.New()})
	if err != nil {
		t.Fatal(err)
	}
	var seen uiauth.User
	h := a.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen, _ = uiauth.FromContext(r.Context())
	}))

	// No token: a page goes to the login form, anything else is 401.
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != uiauth.LoginPath {
		t.Errorf("GET / without a token: %d %v", rec.Code, rec.Header())
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "/o/GitRepository/a/b/reconcile", nil))
	if rec.Code != http.StatusUnauthorized {
		t.Errorf("POST without a token: %d", rec.Code)
	}

	// A wrong token is refused; a real one is the ServiceAccount.
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("Authorization", "Bearer not-a-token")
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusSeeOther {
		t.Errorf("a wrong token was accepted: %d", rec.Code)
	}
	req = httptest.NewRequest("GET", "/", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	h.ServeHTTP(httptest.NewRecorder(), req)
	if seen.Name != "system:serviceaccount:"+ns+":viewer" {
		t.Fatalf("user %q", seen.Name)
	}

	// The login form sets the cookie, which then authenticates.
	form := url.Values{"token": {tok}}
	req = httptest.NewRequest("POST", uiauth.LoginPath, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	cookies := rec.Result().Cookies()
	if rec.Code != http.StatusSeeOther || len(cookies) != 1 || !cookies[0].HttpOnly || cookies[0].SameSite != http.SameSiteStrictMode {
		t.Fatalf("login: %d %v", rec.Code, cookies)
	}
	seen = uiauth.User{}
	req = httptest.NewRequest("GET", "/k/GitRepository", nil)
	req.AddCookie(cookies[0])
	h.ServeHTTP(httptest.NewRecorder(), req)
	if seen.Name == "" {
		t.Error("the login cookie did not authenticate")
	}
	rec = httptest.NewRecorder()
	req = httptest.NewRequest("POST", uiauth.LoginPath, strings.NewReader("token=bad"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusUnauthorized || strings.Contains(rec.Body.String(), tok) {
		t.Errorf("a bad login: %d", rec.Code)
	}

	// The user's client has the user's rights: none.
	c, err := a.Client(seen)
	if err != nil {
		t.Fatal(err)
	}
	err = c.List(context.Background(), &sourcev1.GitRepositoryList{}, client.InNamespace(ns))
	if err == nil || !strings.Contains(err.Error(), "forbidden") {
		t.Errorf("the user's client listed GitRepositories without rights: %v", err)
	}
}

func TestIsLoopback(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:9080": true, "localhost:1": true, "[::1]:80": true,
		":9080": false, "0.0.0.0:80": false, "10.0.0.1:80": false, "nonsense": false,
	} {
		if got := uiauth.IsLoopback(addr); got != want {
			t.Errorf("IsLoopback(%q) = %v", addr, got)
		}
	}
}
