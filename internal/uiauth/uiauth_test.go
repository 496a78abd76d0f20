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
	rbacv1 "k8s.io/api/rbac/v1"
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

// token returns a token of a new ServiceAccount name, which may list
// Kustomizations in every namespace when viewer is set, and has no other
// right.
func token(t *testing.T, ns, name string, viewer bool) string {
	t.Helper()
	ctx := context.Background()
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	if err := env.Client.Create(ctx, sa); err != nil {
		t.Fatal(err)
	}
	cs, err := kubernetes.NewForConfig(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	if viewer {
		role := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: ns + "-" + name},
			Rules: []rbacv1.PolicyRule{{APIGroups: []string{"kustomize.toolkit.fluxcd.io"}, Resources: []string{"kustomizations"}, Verbs: []string{"list"}}}}
		binding := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: ns + "-" + name},
			RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: role.Name},
			Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Namespace: ns, Name: name}}}
		for _, o := range []client.Object{role, binding} {
			if err := env.Client.Create(ctx, o); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = env.Client.Delete(context.Background(), o) })
		}
	}
	tr, err := cs.CoreV1().ServiceAccounts(ns).CreateToken(ctx, name, &authenticationv1.TokenRequest{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return tr.Status.Token
}

func TestAuthenticator(t *testing.T) {
	ns := env.NewNamespace(t, "uiauth")
	tok := token(t, ns, "viewer", true)
	nobody := token(t, ns, "nobody", false)
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

	// The user's client has the user's rights: listing Kustomizations,
	// nothing else.
	c, err := a.Client(seen)
	if err != nil {
		t.Fatal(err)
	}
	err = c.List(context.Background(), &sourcev1.GitRepositoryList{}, client.InNamespace(ns))
	if err == nil || !strings.Contains(err.Error(), "forbidden") {
		t.Errorf("the user's client listed GitRepositories without rights: %v", err)
	}

	// A valid token of someone who may read nothing is let in: Access
	// narrows what they see (access_test.go).
	req = httptest.NewRequest("GET", "/", nil)
	req.Header.Set("Authorization", "Bearer "+nobody)
	if u, err := a.Authenticate(req); err != nil || u.Name != "system:serviceaccount:"+ns+":nobody" {
		t.Errorf("a token without rights: %q, %v", u.Name, err)
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
