package repository

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
)

// FuzzFetchIndex serves arbitrary bytes as index.yaml: FetchIndex never
// panics, refuses what is over MaxIndexSize, and what it returns parses
// again to the same revision.
func FuzzFetchIndex(f *testing.F) {
	f.Add([]byte("apiVersion: v1\nentries:\n  a:\n  - name: a\n    version: 1.0.0\n    urls: [a-1.0.0.tgz]\n"))
	f.Add([]byte(`{"apiVersion":"v1","entries":{"a":[{"name":"a","version":"2.0.0"},{"name":"a","version":"1.0.0"}]}}`))
	f.Add([]byte("apiVersion: v1\nentries:\n  a:\n  - null\n  - {}\n  - name: a\n    version: x\n"))
	f.Add([]byte("apiVersion: v1\ngenerated: 2026-01-01T00:00:00Z\nentries: {}\n"))
	f.Add([]byte("entries: {a: [{name: a, version: '1', dependencies: [{name: b}, {name: b}]}]}\napiVersion: v1\n"))

	var bodies sync.Map
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var n int
		if _, err := fmt.Sscanf(r.URL.Path, "/%d/index.yaml", &n); err != nil {
			http.NotFound(w, r)
			return
		}
		body, ok := bodies.Load(n)
		if !ok {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write(body.([]byte))
	}))
	f.Cleanup(srv.Close)
	var seq atomic.Int64
	const max = 4096

	f.Fuzz(func(t *testing.T, body []byte) {
		n := int(seq.Add(1))
		bodies.Store(n, body)
		defer bodies.Delete(n)
		opts := Options{URL: fmt.Sprintf("%s/%d", srv.URL, n), MaxIndexSize: max}
		data, revision, err := FetchIndex(context.Background(), opts)
		if len(body) > max {
			if !errors.Is(err, ErrTooLarge) {
				t.Fatalf("%d bytes over the limit: %v", len(body), err)
			}
			return
		}
		if err != nil {
			return
		}
		index, err := ParseIndex(data)
		if err != nil {
			t.Fatalf("normalized index does not parse: %v\n%s", err, data)
		}
		_, again, err := NormalizeIndex(index)
		if err != nil || again != revision {
			t.Fatalf("normalizing twice changed the revision: %s %s %v", revision, again, err)
		}
	})
}
