package repository

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	repo "helm.sh/helm/v4/pkg/repo/v1"
)

func indexOpener(opens *atomic.Int32, release <-chan struct{}) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) {
		opens.Add(1)
		if release != nil {
			<-release
		}
		return io.NopCloser(strings.NewReader("apiVersion: v1\nentries:\n  demo:\n  - name: demo\n    version: 1.0.0\n")), nil
	}
}

func TestIndexCacheParsesOnce(t *testing.T) {
	c := NewIndexCache(4)
	var opens atomic.Int32
	release := make(chan struct{})
	var wg sync.WaitGroup
	results := make([]*repo.IndexFile, 8)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			index, err := c.Get("sha256:a", indexOpener(&opens, release))
			if err != nil {
				t.Error(err)
			}
			results[i] = index
		}()
	}
	// Let every goroutine reach Get before the one parse finishes; the
	// others wait for it whether they arrive before or after.
	close(release)
	wg.Wait()
	if n := opens.Load(); n != 1 {
		t.Fatalf("opened %d times, want once", n)
	}
	for _, r := range results {
		if r != results[0] || r == nil {
			t.Fatal("callers got different indexes")
		}
	}
	if _, err := c.Get("sha256:a", indexOpener(&opens, nil)); err != nil || opens.Load() != 1 {
		t.Fatalf("cached Get opened again (%d) or failed: %v", opens.Load(), err)
	}
}

func TestIndexCacheEvictsLeastRecentlyUsed(t *testing.T) {
	c := NewIndexCache(2)
	var opens atomic.Int32
	get := func(key string) {
		t.Helper()
		if _, err := c.Get(key, indexOpener(&opens, nil)); err != nil {
			t.Fatal(err)
		}
	}
	get("a")
	get("b")
	get("a") // a is now the most recent
	get("c") // evicts b
	if c.Len() != 2 {
		t.Fatalf("%d entries, want 2", c.Len())
	}
	before := opens.Load()
	get("a")
	if opens.Load() != before {
		t.Fatal("a was evicted")
	}
	get("b")
	if opens.Load() != before+1 {
		t.Fatal("b was not evicted")
	}
}

func TestIndexCacheErrors(t *testing.T) {
	c := NewIndexCache(2)
	c.MaxIndexSize = 10
	tests := map[string]struct {
		open func() (io.ReadCloser, error)
		want string
	}{
		"open fails": {func() (io.ReadCloser, error) { return nil, errors.New("boom") }, "boom"},
		"too large": {func() (io.ReadCloser, error) {
			return io.NopCloser(strings.NewReader(strings.Repeat("x", 11))), nil
		}, "more than the maximum"},
		"not an index": {func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader("[]")), nil }, "failed to load index"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := c.Get(name, tt.open)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
			if c.Len() != 0 {
				t.Fatal("a failure was cached")
			}
		})
	}
}

func BenchmarkIndexCacheHit(b *testing.B) {
	c := NewIndexCache(1)
	var opens atomic.Int32
	for i := 0; b.Loop(); i++ {
		if _, err := c.Get(fmt.Sprint("k", i%1), indexOpener(&opens, nil)); err != nil {
			b.Fatal(err)
		}
	}
}
