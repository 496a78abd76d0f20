package gitrepository_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr/funcr"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/config"
	"github.com/ferrycd/ferry/internal/artifact"
	"github.com/ferrycd/ferry/internal/controller/gitrepository"
	"github.com/ferrycd/ferry/internal/controlplane"
	"github.com/ferrycd/ferry/internal/gitserver"
)

// The suite shares one control plane, one manager running the reconciler
// and one artifact server; every test works in its own namespace.
var (
	k8sClient client.Client
	storage   *artifact.Storage
)

// deadline bounds every wait for the controller; generous, because the
// machine is shared.
const deadline = 2 * time.Minute

// The size limits of the suite's reconciler, small enough for the limits
// tests to pass them with a few megabytes.
const (
	testMaxArtifactSize int64 = 1 << 20
	testMaxCheckoutSize int64 = 4 << 20
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cp, err := controlplane.Start(ctx, controlplane.Options{Progress: os.Stderr})
	if err != nil {
		fmt.Fprintln(os.Stderr, "starting the control plane:", err)
		return 1
	}
	defer cp.Stop()

	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		panic(err)
	}
	if err := sourcev1.AddToScheme(scheme); err != nil {
		panic(err)
	}
	if err := apiextensionsv1.AddToScheme(scheme); err != nil {
		panic(err)
	}
	k8sClient, err = client.New(cp.Config, client.Options{Scheme: scheme})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := config.InstallCRDs(ctx, k8sClient); err != nil {
		fmt.Fprintln(os.Stderr, "installing CRDs:", err)
		return 1
	}

	// Serve the artifact storage over real HTTP.
	storageDir, err := os.MkdirTemp("", "ferry-gitrepository-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(storageDir)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	storage, err = artifact.NewStorage(filepath.Join(storageDir, "artifacts"), l.Addr().String())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	srv := &http.Server{Handler: storage.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(l) }()
	defer srv.Close()

	// Keep the controller's logs: no secret may ever appear in them.
	var logOut io.Writer = controllerLogs
	if os.Getenv("FERRY_TEST_LOG") != "" {
		logOut = io.MultiWriter(controllerLogs, os.Stderr)
	}
	ctrl.SetLogger(funcr.New(func(prefix, args string) {
		fmt.Fprintln(logOut, prefix, args)
	}, funcr.Options{Verbosity: 1}))

	mgr, err := ctrl.NewManager(cp.Config, ctrl.Options{
		Scheme:                 scheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	storage.MaxSize = testMaxArtifactSize
	r := &gitrepository.Reconciler{
		Client:                    mgr.GetClient(),
		EventRecorder:             mgr.GetEventRecorderFor(gitrepository.ControllerName),
		Storage:                   storage,
		MaxCheckoutSize:           testMaxCheckoutSize,
		DependencyRequeueInterval: 2 * time.Second,
	}
	if err := r.SetupWithManager(ctx, mgr, gitrepository.Options{MaxConcurrentReconciles: 2}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	mgrCtx, stopMgr := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- mgr.Start(mgrCtx) }()
	defer func() {
		stopMgr()
		if err := <-done; err != nil {
			fmt.Fprintln(os.Stderr, "manager:", err)
		}
	}()
	code := m.Run()
	stopMgr()
	for _, secret := range []string{gitPassword, bearerToken, sshPassphrase, proxyPassword} {
		if strings.Contains(controllerLogs.String(), secret) {
			fmt.Fprintf(os.Stderr, "FAIL: the controller logged a secret (%q):\n%s\n", secret, controllerLogs.String())
			code = 1
		}
	}
	if !strings.Contains(controllerLogs.String(), "stored artifact") {
		fmt.Fprintln(os.Stderr, "FAIL: the controller logs were not captured")
		code = 1
	}
	return code
}

// controllerLogs collects everything the controller logs.
var controllerLogs = &syncBuffer{}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
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

func newNamespace(t *testing.T) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "gitrepo-"}}
	if err := k8sClient.Create(context.Background(), ns); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = k8sClient.Delete(context.Background(), ns) })
	return ns.Name
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
	if err := k8sClient.Create(context.Background(), obj); err != nil {
		t.Fatal(err)
	}
}

// waitFor polls the GitRepository until cond holds and returns it; it fails
// the test with the last status after the deadline.
func waitFor(t *testing.T, key client.ObjectKey, what string, cond func(*sourcev1.GitRepository) bool) *sourcev1.GitRepository {
	t.Helper()
	end := time.Now().Add(deadline)
	gr := &sourcev1.GitRepository{}
	for {
		err := k8sClient.Get(context.Background(), key, gr)
		if err == nil && cond(gr) {
			return gr
		}
		if time.Now().After(end) {
			t.Fatalf("GitRepository %s never became %s: err=%v status=%+v", key, what, err, gr.Status)
		}
		time.Sleep(100 * time.Millisecond)
	}
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
	token := time.Now().Format(time.RFC3339Nano)
	gr := &sourcev1.GitRepository{}
	if err := k8sClient.Get(context.Background(), key, gr); err != nil {
		t.Fatal(err)
	}
	patch := client.MergeFrom(gr.DeepCopy())
	if gr.Annotations == nil {
		gr.Annotations = map[string]string{}
	}
	gr.Annotations["reconcile.fluxcd.io/requestedAt"] = token
	if err := k8sClient.Patch(context.Background(), gr, patch); err != nil {
		t.Fatal(err)
	}
	return token
}

// events lists the events recorded for the named object.
func events(t *testing.T, ns, name string) []corev1.Event {
	t.Helper()
	list := &corev1.EventList{}
	if err := k8sClient.List(context.Background(), list, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	var out []corev1.Event
	for _, e := range list.Items {
		if e.InvolvedObject.Name == name {
			out = append(out, e)
		}
	}
	return out
}

// waitForEvent polls until an event with reason exists for the object.
func waitForEvent(t *testing.T, ns, name, eventType, reason string) corev1.Event {
	t.Helper()
	end := time.Now().Add(deadline)
	for {
		for _, e := range events(t, ns, name) {
			if e.Type == eventType && e.Reason == reason {
				return e
			}
		}
		if time.Now().After(end) {
			t.Fatalf("no %s event %q for %s/%s; events: %+v", eventType, reason, ns, name, events(t, ns, name))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// assertNoSecret fails when secret appears in any condition message or
// event of the object.
func assertNoSecret(t *testing.T, gr *sourcev1.GitRepository, secret string) {
	t.Helper()
	for _, c := range gr.Status.Conditions {
		if strings.Contains(c.Message, secret) {
			t.Errorf("condition %s leaks the secret: %s", c.Type, c.Message)
		}
	}
	for _, e := range events(t, gr.Namespace, gr.Name) {
		if strings.Contains(e.Message, secret) {
			t.Errorf("event %s leaks the secret: %s", e.Reason, e.Message)
		}
	}
}

// tag creates an annotated tag on commit in the repository at dir.
func tag(dir, name, commit string) error {
	_, err := gitserver.Git(dir, "tag", "-a", "-m", "release "+name, name, commit)
	return err
}

func basicAuth(user, password string) func(*gitserver.Server) {
	return func(s *gitserver.Server) { s.WithBasicAuth(user, password) }
}
