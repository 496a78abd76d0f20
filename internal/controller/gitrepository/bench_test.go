package gitrepository_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/controller/gitrepository"
	"github.com/ferrycd/ferry/internal/git"
	"github.com/ferrycd/ferry/internal/gitserver"
	"github.com/ferrycd/ferry/internal/testenv"
)

// BenchmarkNoopReconcile measures the unchanged-repository path: N
// GitRepositories (FERRY_BENCH_N, default 20) on one real git server are
// fetched once by the suite's manager, then each iteration reconciles one
// of them again, in turn, while no new commit exists. One op is one full
// Reconcile call: a GET of the object from the API server, a ref listing
// (git ls-remote over smart HTTP) and the comparison with the stored
// artifact; no clone, no archive, no status write. It reports ns/op,
// allocs/op (in this process, which includes the test's git HTTP server
// handler but not the git http-backend CGI process nor the API server) and
// clones/op, counted as upload-pack requests at the git server, which must
// be 0. Run it with:
//
//	go test ./internal/controller/gitrepository -run '^$' -bench NoopReconcile -benchmem
func BenchmarkNoopReconcile(b *testing.B) {
	n := 20
	if v := os.Getenv("FERRY_BENCH_N"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			b.Fatalf("FERRY_BENCH_N=%q is not a positive number", v)
		}
	}
	ctx := context.Background()
	ns := env.NewNamespace(b, "bench")
	url, uploads := benchGitServer(b)

	keys := make([]client.ObjectKey, n)
	for i := range keys {
		gr := newGitRepository(ns, fmt.Sprintf("app-%d", i), url)
		if err := env.Client.Create(ctx, gr); err != nil {
			b.Fatal(err)
		}
		keys[i] = client.ObjectKeyFromObject(gr)
	}
	// Wait until the manager has fetched each once.
	for _, key := range keys {
		testenv.WaitFor(b, env.Client, key, "fetched once", func(gr *sourcev1.GitRepository) bool {
			return gr.Status.Artifact != nil && gr.Status.ObservedGeneration == gr.Generation
		})
	}
	clonesBefore := uploads.Load()

	// A second Reconciler over the same storage, called directly, so one
	// op is one reconcile and nothing else. Its client reads from the API
	// server (the manager's reads from its cache), so an op includes one
	// GET round trip more than in production.
	r := &gitrepository.Reconciler{Client: env.Client, Storage: env.Storage}
	rctx := ctrl.LoggerInto(ctx, ctrl.Log.WithName("bench"))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := r.Reconcile(rctx, ctrl.Request{NamespacedName: keys[i%n]})
		if err != nil {
			b.Fatalf("no-op reconcile of %s: %v", keys[i%n], err)
		}
		if res.RequeueAfter == 0 {
			b.Fatalf("no-op reconcile of %s did not requeue at its interval", keys[i%n])
		}
	}
	b.StopTimer()
	clones := uploads.Load() - clonesBefore
	b.ReportMetric(float64(clones)/float64(b.N), "clones/op")
	if clones != 0 {
		b.Fatalf("%d clones during %d no-op reconciles, want 0", clones, b.N)
	}
}

// BenchmarkRemoteRevision measures the ref listing alone (git ls-remote
// over smart HTTP against git http-backend), the part of a no-op reconcile
// spent talking to the git server, so the rest of BenchmarkNoopReconcile
// can be told apart from it.
func BenchmarkRemoteRevision(b *testing.B) {
	url, uploads := benchGitServer(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := git.RemoteRevision(ctx, git.CloneOptions{URL: url, Branch: "main"}); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if n := uploads.Load(); n != 0 {
		b.Fatalf("%d upload-pack requests for ref listings, want 0", n)
	}
}

// benchGitServer serves one repository with a commit on main over real
// smart HTTP and counts upload-pack requests (fetches and clones; ref
// listings are GETs and not counted).
func benchGitServer(b *testing.B) (string, *atomic.Int64) {
	b.Helper()
	srv := gitserver.New(b.TempDir())
	repo, err := srv.InitRepo("org/app", "main")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := repo.CommitFiles("add the app config", map[string]string{
		"deploy/configmap.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n",
	}); err != nil {
		b.Fatal(err)
	}
	uploads := &atomic.Int64{}
	h := srv.Handler()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	hs := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/git-upload-pack") {
			uploads.Add(1)
		}
		h.ServeHTTP(w, r)
	})}
	go func() { _ = hs.Serve(l) }()
	b.Cleanup(func() { _ = hs.Close() })
	return "http://" + l.Addr().String() + "/org/app", uploads
}
