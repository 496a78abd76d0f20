package uiauth_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/config"
	"github.com/ferrycd/ferry/internal/scheme"
	"github.com/ferrycd/ferry/internal/ui"
	"github.com/ferrycd/ferry/internal/uiauth"
)

// TestViewsLimitedToReadableNamespaces serves the UI as ferry controller
// does (its cache holds every namespace, each user signs in with a
// token) and checks what four ServiceAccounts see: one bound to ferry's
// view role in namespace a sees a's objects and none of b's (the list,
// its namespace choices, the search, the overview), and gets the same
// 404 for b's object as for a missing one; one whose Role in a names
// only Kustomizations sees a's Kustomization and not its GitRepository;
// one bound to the view role in every namespace sees both namespaces;
// one bound to nothing is let in and told what RBAC it needs.
func TestViewsLimitedToReadableNamespaces(t *testing.T) {
	a := env.NewNamespace(t, "team-a")
	b := env.NewNamespace(t, "team-b")
	users := env.NewNamespace(t, "users")
	create(t, kustomization(a, "alpha-web"), kustomization(b, "beta-web"), gitRepository(a, "alpha-repo"))
	view := ferryViewRole(t)

	reader := serviceAccount(t, users, "reader", &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: a, Name: "reader-view"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: view},
	})
	ksOnly := serviceAccount(t, users, "ks-only",
		&rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: a, Name: "kustomizations"},
			Rules: []rbacv1.PolicyRule{{APIGroups: []string{kustomizev1.GroupVersion.Group}, Resources: []string{"kustomizations"}, Verbs: []string{"get", "list", "watch"}}}},
		&rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{Namespace: a, Name: "ks-only"},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "kustomizations"},
		})
	admin := serviceAccount(t, users, "admin", &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: users + "-admin"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: view},
	})
	nobody := serviceAccount(t, users, "nobody")
	srv := serveUI(t)

	// The reader sees a's Kustomization, not b's, anywhere.
	code, body := srv.get(t, reader, "/k/Kustomization")
	if code != http.StatusOK {
		t.Fatalf("the reader's list: %d\n%s", code, body)
	}
	mustHave(t, "the reader's list", body, "alpha-web", `<option value="`+a+`"`)
	mustNotHave(t, "the reader's list", body, "beta-web", `<option value="`+b+`"`)
	_, body = srv.get(t, reader, "/search?q=web")
	mustHave(t, "the reader's search", body, "/o/Kustomization/"+a+"/alpha-web")
	mustNotHave(t, "the reader's search", body, "beta-web")
	_, body = srv.get(t, reader, "/")
	mustHave(t, "the reader's overview", body, "alpha-repo")
	mustNotHave(t, "the reader's overview", body, "You see no Flux objects", b)

	// b's object answers as a missing one does.
	hiddenCode, hidden := srv.get(t, reader, "/o/Kustomization/"+b+"/beta-web")
	missingCode, missing := srv.get(t, reader, "/o/Kustomization/"+b+"/beta-gone")
	if hiddenCode != http.StatusNotFound || missingCode != http.StatusNotFound {
		t.Errorf("b's object: %d, a missing one: %d; want 404 for both", hiddenCode, missingCode)
	}
	if strings.ReplaceAll(hidden, "beta-web", "NAME") != strings.ReplaceAll(missing, "beta-gone", "NAME") {
		t.Errorf("b's object is not answered as a missing one:\n%s\n---\n%s", hidden, missing)
	}
	if code, _ := srv.get(t, reader, "/o/Kustomization/"+a+"/alpha-web"); code != http.StatusOK {
		t.Errorf("a's object: %d", code)
	}

	// Kinds matter: Kustomizations in a, but not GitRepositories.
	_, body = srv.get(t, ksOnly, "/k/Kustomization")
	mustHave(t, "the Kustomization reader's Kustomizations", body, "alpha-web")
	_, body = srv.get(t, ksOnly, "/k/GitRepository")
	mustNotHave(t, "the Kustomization reader's GitRepositories", body, "alpha-repo")
	if code, _ := srv.get(t, ksOnly, "/o/GitRepository/"+a+"/alpha-repo"); code != http.StatusNotFound {
		t.Errorf("the Kustomization reader's GitRepository page: %d, want 404", code)
	}
	_, body = srv.get(t, ksOnly, "/o/Kustomization/"+a+"/alpha-web")
	mustHave(t, "the Kustomization reader's object page", body, "(not visible to you)")
	mustNotHave(t, "the Kustomization reader's object page", body, "/o/GitRepository/")

	// The cluster-wide reader sees both.
	_, body = srv.get(t, admin, "/k/Kustomization")
	mustHave(t, "the admin's list", body, "alpha-web", "beta-web")

	// Nobody is let in, sees nothing and is told what to ask for.
	code, body = srv.get(t, nobody, "/")
	if code != http.StatusOK {
		t.Fatalf("the unbound user's overview: %d\n%s", code, body)
	}
	mustHave(t, "the unbound user's overview", body, "You see no Flux objects", "--clusterrole=view")
	mustNotHave(t, "the unbound user's overview", body, "alpha-web", "alpha-repo", "beta-web")
	if code, _ := srv.get(t, nobody, "/o/Kustomization/"+a+"/alpha-web"); code != http.StatusNotFound {
		t.Errorf("the unbound user's object page: %d, want 404", code)
	}
}

// uiServer is the UI served as ferry controller serves it, reading
// through the admin client (the stand-in for the manager's cache).
type uiServer struct{ *httptest.Server }

func serveUI(t *testing.T) *uiServer {
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
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(auth.Require(s.Handler()))
	t.Cleanup(srv.Close)
	return &uiServer{srv}
}

// get fetches path with token and returns the status and body.
func (s *uiServer) get(t *testing.T, token, path string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

// ferryViewRole creates ferry's ferry-view ClusterRole from the install
// manifests, the rules that the view ClusterRole aggregates in a cluster
// (the API-only test plane runs no controller-manager to aggregate them),
// and returns its name.
func ferryViewRole(t *testing.T) string {
	t.Helper()
	stream, err := config.InstallManifests(config.InstallOptions{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	for _, doc := range bytes.Split(stream, []byte("\n---")) {
		role := &rbacv1.ClusterRole{}
		if err := yaml.Unmarshal(doc, role); err != nil || role.Kind != "ClusterRole" || role.Name != "ferry-view" {
			continue
		}
		if err := env.Client.Create(context.Background(), role); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatal(err)
		}
		return role.Name
	}
	t.Fatal("no ClusterRole ferry-view in the install manifests")
	return ""
}

// serviceAccount creates a ServiceAccount of ns with its RBAC objects (a
// RoleBinding or ClusterRoleBinding gets the ServiceAccount as subject)
// and returns a token of it.
func serviceAccount(t *testing.T, ns, name string, rbac ...client.Object) string {
	t.Helper()
	ctx := context.Background()
	subject := rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Namespace: ns, Name: name}
	objs := []client.Object{&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}}
	for _, o := range rbac {
		switch b := o.(type) {
		case *rbacv1.RoleBinding:
			b.Subjects = []rbacv1.Subject{subject}
		case *rbacv1.ClusterRoleBinding:
			b.Subjects = []rbacv1.Subject{subject}
		}
		objs = append(objs, o)
	}
	for _, o := range objs {
		if err := env.Client.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
		if o.GetNamespace() == "" {
			t.Cleanup(func() { _ = env.Client.Delete(context.Background(), o) })
		}
	}
	cs, err := kubernetes.NewForConfig(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := cs.CoreV1().ServiceAccounts(ns).CreateToken(ctx, name, &authenticationv1.TokenRequest{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return tr.Status.Token
}

func kustomization(ns, name string) client.Object {
	return &kustomizev1.Kustomization{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: kustomizev1.KustomizationSpec{
			Interval:  metav1.Duration{Duration: time.Minute},
			Path:      "./deploy",
			SourceRef: kustomizev1.CrossNamespaceSourceReference{Kind: sourcev1.GitRepositoryKind, Name: "alpha-repo"},
		},
	}
}

func gitRepository(ns, name string) client.Object {
	return &sourcev1.GitRepository{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       sourcev1.GitRepositorySpec{URL: "https://example.com/" + name + ".git", Interval: metav1.Duration{Duration: time.Minute}},
	}
}

func create(t *testing.T, objs ...client.Object) {
	t.Helper()
	for _, o := range objs {
		if err := env.Client.Create(context.Background(), o); err != nil {
			t.Fatal(err)
		}
	}
}

func mustHave(t *testing.T, what, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			t.Errorf("%s does not contain %q:\n%s", what, sub, s)
		}
	}
}

func mustNotHave(t *testing.T, what, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			t.Errorf("%s contains %q", what, sub)
		}
	}
}
