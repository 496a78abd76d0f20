package bucket_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferrycd/ferry/internal/controller/bucket"
	"github.com/ferrycd/ferry/internal/s3/s3test"
)

// BenchmarkNoopReconcile measures a Bucket whose objects have not changed:
// N Buckets (FERRY_BENCH_N, default 20) over one in-process S3 server,
// each holding FERRY_BENCH_OBJECTS objects (default 100), are fetched once
// by the suite's manager, then each iteration reconciles one of them
// again, in turn. One op is one full Reconcile call: a GET of the object
// from the API server, the listing of the bucket, the probe for a root
// .sourceignore, the index digest and the comparison with the stored
// artifact; no object is downloaded (checked), nothing is archived or
// written. It reports ns/op, allocs/op (this process, which includes the
// S3 server) and the server's requests per op. Run it with:
//
//	go test ./internal/controller/bucket -run '^$' -bench NoopReconcile -benchmem
func BenchmarkNoopReconcile(b *testing.B) {
	n, objects := benchEnv(b, "FERRY_BENCH_N", 20), benchEnv(b, "FERRY_BENCH_OBJECTS", 100)
	ctx := context.Background()
	ns := env.NewNamespace(b, "bench")
	srv := s3test.Start(b, s3test.Options{})
	srv.MakeBucket(b, "fleet")
	files := map[string]string{}
	for i := range objects {
		files[fmt.Sprintf("apps/app-%03d/configmap.yaml", i)] = fmt.Sprintf("kind: ConfigMap\nmetadata: {name: app-%03d}\n", i)
	}
	srv.Put(b, "fleet", files)

	keys := make([]client.ObjectKey, n)
	for i := range keys {
		o := newBucket(ns, fmt.Sprintf("app-%d", i), srv.Endpoint(), "fleet")
		create(b, o)
		keys[i] = client.ObjectKeyFromObject(o)
	}
	for _, key := range keys {
		waitFor(b, key, "fetched once", isReadyAt(""))
	}
	requests, fetched := srv.Requests(), downloads(srv)

	// A second Reconciler over the same storage, called directly; its
	// client reads the API server (the manager's reads its cache).
	r := &bucket.Reconciler{Client: env.Client, Storage: env.Storage}
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
	if d := downloads(srv) - fetched; d != 0 {
		b.Fatalf("%d object downloads during no-op reconciles", d)
	}
	b.ReportMetric(float64(srv.Requests()-requests)/float64(b.N), "requests/op")
}

func benchEnv(b *testing.B, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		b.Fatalf("%s=%q is not a positive number", name, v)
	}
	return n
}
