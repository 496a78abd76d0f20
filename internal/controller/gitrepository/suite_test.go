package gitrepository_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/controller"
	"github.com/ferrycd/ferry/internal/gitserver"
	"github.com/ferrycd/ferry/internal/testenv"
)

// The suite shares one control plane and one manager running the
// GitRepository controller with its artifact server; every test works in its
// own namespace.
var env *testenv.Env

// The size limits of the suite's reconciler, small enough for the limits
// tests to pass them with a few megabytes.
const (
	testMaxArtifactSize int64 = 1 << 20
	testMaxCheckoutSize int64 = 4 << 20
)

func TestMain(m *testing.M) {
	env = testenv.Start(testenv.Options{
		Manager: &controller.Options{
			Controllers:       []string{"gitrepository"},
			Concurrent:        2,
			ArtifactMaxSize:   testMaxArtifactSize,
			CheckoutMaxSize:   testMaxCheckoutSize,
			DependencyRequeue: 2 * time.Second,
		},
		Secrets: []string{gitPassword, bearerToken, sshPassphrase, proxyPassword},
	})
	code := env.Run(m)
	if !strings.Contains(env.Logs.String(), "stored artifact") {
		fmt.Fprintln(os.Stderr, "FAIL: the controller logs were not captured")
		code = 1
	}
	os.Exit(code)
}

// gitServer is a real smart-HTTP git server whose upload-pack requests
// (fetches; not ref listings) are counted.
type gitServer struct {
	*gitserver.Server
	base    string
	fetches atomic.Int64
}

func (g *gitServer) RepoURL(path string) string { return g.base + "/" + path }

// newGitServer serves a repository "org/app" whose branch main has one
// commit with a ConfigMap; configure may add authentication.
func newGitServer(t *testing.T, configure ...func(*gitserver.Server)) (*gitServer, *gitserver.Repo, string) {
	t.Helper()
	srv := gitserver.New(t.TempDir())
	for _, c := range configure {
		c(srv)
	}
	g := &gitServer{Server: srv}
	h := srv.Handler()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/git-upload-pack") {
			g.fetches.Add(1)
		}
		h.ServeHTTP(w, r)
	})}
	go func() { _ = hs.Serve(l) }()
	t.Cleanup(func() { _ = hs.Close() })
	g.base = "http://" + l.Addr().String()

	repo, err := srv.InitRepo("org/app", "main")
	if err != nil {
		t.Fatal(err)
	}
	head, err := repo.CommitFiles("add the app config", map[string]string{
		"deploy/configmap.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n",
	})
	if err != nil {
		t.Fatal(err)
	}
	return g, repo, head
}

// newNamespace creates a namespace for the test.
func newNamespace(t *testing.T) string {
	t.Helper()
	return env.NewNamespace(t, "gitrepo")
}

func newGitRepository(ns, name, url string, mutate ...func(*sourcev1.GitRepository)) *sourcev1.GitRepository {
	gr := &sourcev1.GitRepository{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: sourcev1.GitRepositorySpec{
			URL:       url,
			Interval:  metav1.Duration{Duration: time.Hour},
			Reference: &sourcev1.GitRepositoryRef{Branch: "main"},
		},
	}
	for _, m := range mutate {
		m(gr)
	}
	return gr
}

func create(t *testing.T, obj client.Object) {
	t.Helper()
	if err := env.Client.Create(context.Background(), obj); err != nil {
		t.Fatal(err)
	}
}

// waitFor polls the GitRepository until cond holds and returns it; it fails
// the test with the last status after the deadline.
func waitFor(t *testing.T, key client.ObjectKey, what string, cond func(*sourcev1.GitRepository) bool) *sourcev1.GitRepository {
	t.Helper()
	return testenv.WaitFor(t, env.Client, key, what, cond)
}

// cond returns the condition of the given type, or nil.
func cond(gr *sourcev1.GitRepository, condType string) *metav1.Condition {
	return apimeta.FindStatusCondition(gr.Status.Conditions, condType)
}

func isReadyWith(revision string) func(*sourcev1.GitRepository) bool {
	return func(gr *sourcev1.GitRepository) bool {
		c := cond(gr, "Ready")
		return c != nil && c.Status == metav1.ConditionTrue && c.ObservedGeneration == gr.Generation &&
			gr.Status.Artifact != nil && gr.Status.Artifact.Revision == revision
	}
}

// requestReconcile sets reconcile.fluxcd.io/requestedAt as `flux reconcile`
// does and returns the token.
func requestReconcile(t *testing.T, key client.ObjectKey) string {
	t.Helper()
	return testenv.RequestReconcile(t, env.Client, &sourcev1.GitRepository{}, key)
}

// events lists the events recorded for the named object.
func events(t *testing.T, ns, name string) []corev1.Event {
	t.Helper()
	return testenv.Events(t, env.Client, "", ns, name)
}

// waitForEvent polls until an event with reason exists for the object.
func waitForEvent(t *testing.T, ns, name, eventType, reason string) corev1.Event {
	t.Helper()
	var found corev1.Event
	testenv.Eventually(t, fmt.Sprintf("a %s event %q for %s/%s", eventType, reason, ns, name), func() (bool, string) {
		evs := events(t, ns, name)
		for _, e := range evs {
			if e.Type == eventType && e.Reason == reason {
				found = e
				return true, ""
			}
		}
		return false, fmt.Sprintf("events: %+v", evs)
	})
	return found
}

// tag creates an annotated tag on commit in the repository at dir.
func tag(dir, name, commit string) error {
	_, err := gitserver.Git(dir, "tag", "-a", "-m", "release "+name, name, commit)
	return err
}

func basicAuth(user, password string) func(*gitserver.Server) {
	return func(s *gitserver.Server) { s.WithBasicAuth(user, password) }
}
