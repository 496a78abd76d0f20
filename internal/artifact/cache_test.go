package artifact_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ferrycd/ferry/api/meta"
	"github.com/ferrycd/ferry/internal/artifact"
)

// archiveOneFile stores a one-file artifact whose content is s.
func archiveOneFile(t *testing.T, st *artifact.Storage, name, s string) *meta.Artifact {
	t.Helper()
	src := t.TempDir()
	if err := os.MkdirAll(filepath.Join(src, "app"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "app", "cm.yaml"), []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	a, err := st.Archive("gitrepository", "ns", name, "main@sha1:"+strings.Repeat("a", 40), src)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func readUnpacked(t *testing.T, dir string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "app", "cm.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestCacheSharesOneUnpackPerDigest(t *testing.T) {
	st, err := artifact.NewStorage(t.TempDir(), "127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	a := archiveOneFile(t, st, "one", "first")
	parent := t.TempDir()
	c := artifact.NewCache(&artifact.Fetcher{Storage: st}, parent, 2)

	// Many reconciliations at once get the same directory, unpacked once.
	const workers = 8
	dirs := make([]string, workers)
	releases := make([]func(), workers)
	var wg sync.WaitGroup
	for i := range workers {
		wg.Go(func() {
			dir, release, err := c.Acquire(context.Background(), a)
			if err != nil {
				t.Error(err)
				return
			}
			dirs[i], releases[i] = dir, release
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	for _, d := range dirs {
		if d != dirs[0] {
			t.Fatalf("directories differ: %q and %q", d, dirs[0])
		}
	}
	if got := readUnpacked(t, dirs[0]); got != "first" {
		t.Fatalf("unpacked content = %q, want %q", got, "first")
	}
	if c.Len() != 1 {
		t.Fatalf("cache holds %d artifacts, want 1", c.Len())
	}
	for _, r := range releases {
		r()
		r() // a second release is harmless
	}

	// A later reconciliation reuses it.
	dir, release, err := c.Acquire(context.Background(), a)
	if err != nil {
		t.Fatal(err)
	}
	if dir != dirs[0] {
		t.Fatalf("a later acquire unpacked again into %q", dir)
	}
	release()

	// Unused artifacts beyond keep are removed, least recently used first.
	b := archiveOneFile(t, st, "two", "second")
	d := archiveOneFile(t, st, "three", "third")
	for _, art := range []*meta.Artifact{b, d} {
		dir, release, err := c.Acquire(context.Background(), art)
		if err != nil {
			t.Fatal(err)
		}
		release()
		if dir == dirs[0] {
			t.Fatal("another digest got the same directory")
		}
	}
	if c.Len() != 2 {
		t.Fatalf("cache holds %d artifacts, want 2", c.Len())
	}
	if _, err := os.Stat(dirs[0]); !os.IsNotExist(err) {
		t.Fatalf("the least recently used artifact was not removed: %v", err)
	}

	c.Close()
	if entries, _ := os.ReadDir(parent); len(entries) != 0 {
		t.Fatalf("Close left %d entries in %s", len(entries), parent)
	}
}

func TestCacheDoesNotKeepAFailedFetch(t *testing.T) {
	st, err := artifact.NewStorage(t.TempDir(), "127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	good := archiveOneFile(t, st, "one", "content")
	bad := *good
	bad.Digest = "sha256:" + strings.Repeat("0", 64)
	c := artifact.NewCache(&artifact.Fetcher{Storage: st}, t.TempDir(), 2)
	defer c.Close()

	if _, _, err := c.Acquire(context.Background(), &bad); err == nil {
		t.Fatal("an artifact whose digest does not match was accepted")
	}
	if c.Len() != 0 {
		t.Fatalf("a failed fetch was cached")
	}
	if _, _, err := c.Acquire(context.Background(), &bad); err == nil {
		t.Fatal("the second attempt did not verify the digest again")
	}
	dir, release, err := c.Acquire(context.Background(), good)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	if got := readUnpacked(t, dir); got != "content" {
		t.Fatalf("unpacked content = %q", got)
	}
}

func TestCacheRefusesAnArtifactWithoutDigest(t *testing.T) {
	st, err := artifact.NewStorage(t.TempDir(), "127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	a := *archiveOneFile(t, st, "one", "content")
	a.Digest = ""
	c := artifact.NewCache(&artifact.Fetcher{Storage: st}, t.TempDir(), 2)
	defer c.Close()
	if _, _, err := c.Acquire(context.Background(), &a); err == nil || !strings.Contains(err.Error(), "no digest") {
		t.Fatalf("err = %v, want one saying the artifact has no digest", err)
	}
	if c.Len() != 0 {
		t.Fatal("an artifact without digest was cached")
	}
}

func TestCacheStartClosesWhenStopped(t *testing.T) {
	st, err := artifact.NewStorage(t.TempDir(), "127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	parent := t.TempDir()
	c := artifact.NewCache(&artifact.Fetcher{Storage: st}, parent, 2)
	_, release, err := c.Acquire(context.Background(), archiveOneFile(t, st, "one", "content"))
	if err != nil {
		t.Fatal(err)
	}
	release()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- c.Start(ctx) }()
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(parent); len(entries) != 0 {
		t.Fatalf("a stopped cache left %d entries in %s", len(entries), parent)
	}
	if _, _, err := c.Acquire(context.Background(), archiveOneFile(t, st, "two", "content")); err == nil {
		t.Fatal("a stopped cache unpacked an artifact")
	}
}
