package kustomization_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr/funcr"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/yaml"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/config"
	"github.com/ferrycd/ferry/internal/artifact"
	"github.com/ferrycd/ferry/internal/controller/gitrepository"
	"github.com/ferrycd/ferry/internal/controller/kustomization"
	"github.com/ferrycd/ferry/internal/controlplane"
	"github.com/ferrycd/ferry/internal/gitserver"
)

// The suite shares one control plane and one manager running both the
// GitRepository and the Kustomization controllers; each test has its own Git
// server, repository and namespace. Intervals are an hour, so whatever a test
// sees happen was triggered, not scheduled.
var (
	k8sClient  client.Client
	gitServer  *gitserver.Server
	restConfig *rest.Config // the plane's admin configuration
)

// deadline bounds every wait for the controllers; generous, because the
// machine is shared.
const deadline = 3 * time.Minute

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	// FERRY_TEST_LOG=1 shows the controllers' logs.
	if os.Getenv("FERRY_TEST_LOG") != "" {
		ctrl.SetLogger(funcr.New(func(prefix, args string) { fmt.Fprintln(os.Stderr, prefix, args) }, funcr.Options{Verbosity: 1}))
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cp, err := controlplane.Start(ctx, controlplane.Options{Progress: os.Stderr})
	if err != nil {
		fmt.Fprintln(os.Stderr, "starting the control plane:", err)
		return 1
	}
	defer cp.Stop()
	restConfig = cp.Config

	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		clientgoscheme.AddToScheme, apiextensionsv1.AddToScheme, sourcev1.AddToScheme, kustomizev1.AddToScheme,
	} {
		if err := add(scheme); err != nil {
			panic(err)
		}
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

	tmp, err := os.MkdirTemp("", "ferry-kustomization-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(tmp)

	// Serve the artifact storage over real HTTP, as the manager does.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	storage, err := artifact.NewStorage(filepath.Join(tmp, "artifacts"), l.Addr().String())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	srv := &http.Server{Handler: storage.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(l) }()
	defer srv.Close()

	// A real smart-HTTP Git server.
	gitServer = gitserver.New(filepath.Join(tmp, "git"))
	if err := os.MkdirAll(gitServer.Root(), 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if _, err := gitServer.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "starting the git server:", err)
		return 1
	}
	defer gitServer.Close()

	mgr, err := ctrl.NewManager(cp.Config, ctrl.Options{
		Scheme:                 scheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		// Kustomizations of a test's own reconciler (startReconciler) are not the suite's.
		Cache: cache.Options{ByObject: map[client.Object]cache.ByObject{
			&kustomizev1.Kustomization{}: {Label: notOwnReconciler()},
		}},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	gr := &gitrepository.Reconciler{
		Client:        mgr.GetClient(),
		EventRecorder: mgr.GetEventRecorderFor("source-controller"),
		Storage:       storage,
	}
	if err := gr.SetupWithManager(ctx, mgr, gitrepository.Options{MaxConcurrentReconciles: 2}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ks := &kustomization.Reconciler{
		Client:                    mgr.GetClient(),
		EventRecorder:             mgr.GetEventRecorderFor(kustomization.ControllerName),
		Fetcher:                   &artifact.Fetcher{Storage: storage},
		TempDir:                   tmp,
		DependencyRequeueInterval: time.Second,
	}
	if err := ks.SetupWithManager(ctx, mgr, kustomization.Options{MaxConcurrentReconciles: 2}); err != nil {
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
	return m.Run()
}

// appFiles is a seed-style repository: a base and three environment
// overlays that set replicas and a configuration value.
func appFiles() map[string]string {
	files := map[string]string{
		"apps/base/kustomization.yaml": `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - deployment.yaml
  - configmap.yaml
`,
		"apps/base/deployment.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: web
          image: nginx:1.27
`,
		"apps/base/configmap.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: web-settings
data:
  LOG_LEVEL: info
`,
	}
	for env, v := range map[string]struct{ replicas, level string }{
		"production": {"3", "warn"}, "staging": {"2", "info"}, "development": {"1", "debug"},
	} {
		files["apps/"+env+"/kustomization.yaml"] = `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../base
labels:
  - pairs:
      environment: ` + env + `
patches:
  - target:
      kind: Deployment
      name: web
    patch: |-
      - op: replace
        path: /spec/replicas
        value: ` + v.replicas + `
  - target:
      kind: ConfigMap
      name: web-settings
    patch: |-
      - op: replace
        path: /data/LOG_LEVEL
        value: ` + v.level + `
`
	}
	return files
}

// fixture is one test's namespace and Git repository.
type fixture struct {
	t    *testing.T
	ns   string
	repo *gitserver.Repo
	url  string
}

// newFixture creates a namespace and a repository holding files, committed.
func newFixture(t *testing.T, files map[string]string) *fixture {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "ks-"}}
	if err := k8sClient.Create(context.Background(), ns); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = k8sClient.Delete(context.Background(), ns) })
	path := "org/" + ns.Name
	repo, err := gitServer.InitRepo(path, "main")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := repo.CommitFiles("initial", files); err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, ns: ns.Name, repo: repo, url: gitServer.RepoURL(path)}
}

// commit commits files (and removals) and returns the new revision as the
// GitRepository reports it.
func (f *fixture) commit(msg string, files map[string]string, remove ...string) string {
	f.t.Helper()
	if len(remove) > 0 {
		if err := f.repo.Remove(remove...); err != nil {
			f.t.Fatal(err)
		}
	}
	head, err := f.repo.CommitFiles(msg, files)
	if err != nil {
		f.t.Fatal(err)
	}
	return "main@sha1:" + head
}

// head returns the current revision as the GitRepository reports it.
func (f *fixture) head() string {
	f.t.Helper()
	h, err := f.repo.Head()
	if err != nil {
		f.t.Fatal(err)
	}
	return "main@sha1:" + h
}

// applyYAML creates the objects of a YAML stream, with {{ns}} and {{url}}
// replaced; it is how a user would apply Flux manifests.
func (f *fixture) applyYAML(stream string) {
	f.t.Helper()
	stream = strings.NewReplacer("{{ns}}", f.ns, "{{url}}", f.url).Replace(stream)
	for _, doc := range strings.Split(stream, "\n---\n") {
		obj := &unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(doc), &obj.Object); err != nil {
			f.t.Fatal(err)
		}
		if err := k8sClient.Create(context.Background(), obj); err != nil {
			f.t.Fatalf("creating %s %s: %v", obj.GetKind(), obj.GetName(), err)
		}
	}
}

// sync creates a Flux v1 GitRepository "app" for the fixture's repository
// and a Kustomization "app" building path into the fixture's namespace.
func (f *fixture) sync(path string, prune bool) {
	f.t.Helper()
	f.applyYAML(fmt.Sprintf(`apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: app
  namespace: {{ns}}
spec:
  interval: 1h
  url: {{url}}
  ref:
    branch: main
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: app
  namespace: {{ns}}
spec:
  interval: 1h
  retryInterval: 1h
  path: %q
  prune: %t
  targetNamespace: {{ns}}
  sourceRef:
    kind: GitRepository
    name: app`, path, prune))
}

// kustomization returns the fixture's Kustomization "app".
func (f *fixture) kustomization() *kustomizev1.Kustomization {
	f.t.Helper()
	ks := &kustomizev1.Kustomization{}
	if err := k8sClient.Get(context.Background(), client.ObjectKey{Namespace: f.ns, Name: "app"}, ks); err != nil {
		f.t.Fatal(err)
	}
	return ks
}

// waitFor polls the Kustomization until cond holds and returns it.
func (f *fixture) waitFor(what string, cond func(*kustomizev1.Kustomization) bool) *kustomizev1.Kustomization {
	f.t.Helper()
	end := time.Now().Add(deadline)
	for {
		ks := &kustomizev1.Kustomization{}
		err := k8sClient.Get(context.Background(), client.ObjectKey{Namespace: f.ns, Name: "app"}, ks)
		if err == nil && cond(ks) {
			return ks
		}
		if time.Now().After(end) {
			f.t.Fatalf("Kustomization %s/app never became %s: err=%v status=%s", f.ns, what, err, dump(ks.Status))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// eventually polls cond until it returns "" (success) or the deadline passes.
func (f *fixture) eventually(what string, cond func() string) {
	f.t.Helper()
	end := time.Now().Add(deadline)
	for {
		msg := cond()
		if msg == "" {
			return
		}
		if time.Now().After(end) {
			f.t.Fatalf("%s: %s", what, msg)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func dump(v any) string {
	b, _ := yaml.Marshal(v)
	return "\n" + string(b)
}

// ready reports Ready=True for revision, with the generation observed.
func ready(revision string) func(*kustomizev1.Kustomization) bool {
	return func(ks *kustomizev1.Kustomization) bool {
		c := apimeta.FindStatusCondition(ks.Status.Conditions, "Ready")
		return c != nil && c.Status == metav1.ConditionTrue && ks.Status.LastAppliedRevision == revision &&
			ks.Status.ObservedGeneration == ks.Generation
	}
}

// failed reports Ready=False with reason for revision (when not empty).
func failed(reason, revision string) func(*kustomizev1.Kustomization) bool {
	return func(ks *kustomizev1.Kustomization) bool {
		c := apimeta.FindStatusCondition(ks.Status.Conditions, "Ready")
		return c != nil && c.Status == metav1.ConditionFalse && c.Reason == reason &&
			(revision == "" || ks.Status.LastAttemptedRevision == revision)
	}
}

// readyCondition returns the Ready condition.
func readyCondition(ks *kustomizev1.Kustomization) metav1.Condition {
	if c := apimeta.FindStatusCondition(ks.Status.Conditions, "Ready"); c != nil {
		return *c
	}
	return metav1.Condition{}
}

// get reads an object of the fixture's namespace; nil when absent.
func (f *fixture) get(apiVersion, kind, name string) *unstructured.Unstructured {
	f.t.Helper()
	obj := &unstructured.Unstructured{}
	obj.SetAPIVersion(apiVersion)
	obj.SetKind(kind)
	if err := k8sClient.Get(context.Background(), client.ObjectKey{Namespace: f.ns, Name: name}, obj); err != nil {
		if client.IgnoreNotFound(err) == nil {
			return nil
		}
		f.t.Fatal(err)
	}
	return obj
}

// requestReconcile sets reconcile.fluxcd.io/requestedAt on the named object
// of the fixture's namespace, as `flux reconcile` does, and returns the token.
func (f *fixture) requestReconcile(obj client.Object, name string) string {
	f.t.Helper()
	token := time.Now().Format(time.RFC3339Nano)
	if err := k8sClient.Get(context.Background(), client.ObjectKey{Namespace: f.ns, Name: name}, obj); err != nil {
		f.t.Fatal(err)
	}
	patch := client.MergeFrom(obj.DeepCopyObject().(client.Object))
	a := obj.GetAnnotations()
	if a == nil {
		a = map[string]string{}
	}
	a["reconcile.fluxcd.io/requestedAt"] = token
	obj.SetAnnotations(a)
	if err := k8sClient.Patch(context.Background(), obj, patch); err != nil {
		f.t.Fatal(err)
	}
	return token
}

// events returns the messages of the events recorded for the Kustomization.
func (f *fixture) events() []corev1.Event {
	f.t.Helper()
	list := &corev1.EventList{}
	if err := k8sClient.List(context.Background(), list, client.InNamespace(f.ns)); err != nil {
		f.t.Fatal(err)
	}
	var out []corev1.Event
	for _, e := range list.Items {
		if e.InvolvedObject.Kind == "Kustomization" && e.InvolvedObject.Name == "app" {
			out = append(out, e)
		}
	}
	return out
}

// nested reads a nested field of obj as a string, for messages and asserts.
func nested(obj *unstructured.Unstructured, fields ...string) string {
	if obj == nil {
		return "<absent>"
	}
	v, ok, _ := unstructured.NestedFieldNoCopy(obj.Object, fields...)
	if !ok {
		return "<unset>"
	}
	return fmt.Sprint(v)
}

func keyOf(ns, name string) client.ObjectKey { return client.ObjectKey{Namespace: ns, Name: name} }

func replace(s, old, new string) string { return strings.Replace(s, old, new, 1) }
