package ocirepository_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferrycd/ferry/internal/controller/ocirepository"
	"github.com/ferrycd/ferry/internal/oci/ocitest"
)

// BenchmarkNoopReconcile measures an OCIRepository whose tag has not
// moved: N OCIRepositories (FERRY_BENCH_N, default 20) on one in-process
// registry are pulled once by the suite's manager, then each iteration
// reconciles one of them again, in turn. One op is one full Reconcile
// call: a GET of the object from the API server, one HEAD of the tag's
// manifest and the comparison with the stored artifact; no pull, no
// archive, no status write. It reports ns/op, allocs/op (this process,
// which includes the registry), the registry's HEADs per op and all its
// requests per op (the /v2/ ping included), which should be one HEAD and
// nothing else once the pooled client has authenticated. Run it with:
//
//	go test ./internal/controller/ocirepository -run '^$' -bench NoopReconcile -benchmem
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
	reg := ocitest.Start(b, ocitest.Options{})
	digest := push(b, reg, "fleet", "latest", map[string]string{"app/configmap.yaml": "kind: ConfigMap\n"})

	keys := make([]client.ObjectKey, n)
	for i := range keys {
		o := newOCIRepository(ns, fmt.Sprintf("app-%d", i), reg.URL("fleet"))
		create(b, o)
		keys[i] = client.ObjectKeyFromObject(o)
	}
	for _, key := range keys {
		waitFor(b, key, "pulled once", isReadyAt("latest@"+digest))
	}
	heads, gets, blobs, total := reg.Requests("HEAD", "manifests"), reg.Requests("GET", "manifests"), reg.Requests("GET", "blobs"), reg.Total()

	// A second Reconciler over the same storage, called directly, so one
	// op is one reconcile; its client reads the API server (the manager's
	// reads its cache), so an op has one GET round trip more than in
	// production.
	r := &ocirepository.Reconciler{Client: env.Client, Storage: env.Storage}
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
	if d := reg.Requests("GET", "manifests") - gets + reg.Requests("GET", "blobs") - blobs; d != 0 {
		b.Fatalf("%d pulls during no-op reconciles", d)
	}
	b.ReportMetric(float64(reg.Requests("HEAD", "manifests")-heads)/float64(b.N), "heads/op")
	b.ReportMetric(float64(reg.Total()-total)/float64(b.N), "requests/op")
	b.ReportMetric(0, "pulls/op")
}
