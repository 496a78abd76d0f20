package artifact

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/ferrycd/ferry/api/meta"
)

// defaultUnpackedArtifacts is how many unpacked artifacts a Cache keeps
// when no reconciliation is using them.
const defaultUnpackedArtifacts = 8

// Cache unpacks each artifact once and shares the directory between the
// reconciliations that read it, instead of fetching and untarring the whole
// artifact for every one: with many Kustomizations on one repository, that
// untar was most of the CPU a no-change reconciliation spent, and it grew
// with the size of the repository.
//
// Entries are keyed by the artifact's digest, which Fetch verifies, so a
// directory always holds exactly the content of its digest. Readers must not
// write it (the Kustomization build reads it through a read-only file
// system, internal/build), so sharing it is safe. A failed fetch is not cached. Unused entries beyond keep are
// removed, least recently used first.
type Cache struct {
	fetcher *Fetcher
	parent  string // where the cache directory is created; empty means the system temporary directory
	keep    int

	mu      sync.Mutex
	root    string
	entries map[string]*unpacked
	clock   uint64
	closed  bool
}

// unpacked is one artifact unpacked in the cache.
type unpacked struct {
	dir      string
	ready    chan struct{} // closed when the fetch is done
	err      error         // the fetch's outcome, set before ready is closed
	refs     int
	lastUsed uint64
}

// NewCache returns a cache that unpacks artifacts with fetcher into a
// directory it creates below parent (empty: the system temporary
// directory) on first use, and keeps up to keep unused ones (zero or less:
// eight).
func NewCache(fetcher *Fetcher, parent string, keep int) *Cache {
	if keep <= 0 {
		keep = defaultUnpackedArtifacts
	}
	return &Cache{fetcher: fetcher, parent: parent, keep: keep, entries: map[string]*unpacked{}}
}

// Acquire returns the directory holding artifact a unpacked, fetching it
// unless another reconciliation has already done so, and a function to call
// once the directory is no longer read. The directory must not be written.
func (c *Cache) Acquire(ctx context.Context, a *meta.Artifact) (string, func(), error) {
	key := a.Digest
	if key == "" {
		// Nothing to key on or to verify against (the fetcher refuses it too).
		return "", nil, fmt.Errorf("artifact %s has no digest", a.URL)
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return "", nil, errors.New("the artifact cache is closed")
	}
	if err := c.ensureRoot(); err != nil {
		c.mu.Unlock()
		return "", nil, err
	}
	e, ok := c.entries[key]
	if !ok {
		e = &unpacked{dir: filepath.Join(c.root, strings.NewReplacer(":", "-", "/", "-").Replace(key)), ready: make(chan struct{})}
		c.entries[key] = e
		e.refs++
		c.mu.Unlock()
		e.err = c.fetch(ctx, a, e.dir)
		if e.err != nil {
			// Later reconciliations try again rather than share the failure.
			c.mu.Lock()
			if c.entries[key] == e {
				delete(c.entries, key)
			}
			c.mu.Unlock()
		}
		close(e.ready)
	} else {
		e.refs++
		c.mu.Unlock()
		select {
		case <-e.ready:
		case <-ctx.Done():
			c.release(key, e)
			return "", nil, ctx.Err()
		}
	}
	if e.err != nil {
		c.release(key, e)
		return "", nil, e.err
	}
	var once sync.Once
	return e.dir, func() { once.Do(func() { c.release(key, e) }) }, nil
}

// fetch unpacks a into dir through a temporary directory, so that dir
// exists only complete.
func (c *Cache) fetch(ctx context.Context, a *meta.Artifact, dir string) error {
	tmp, err := os.MkdirTemp(c.root, "fetch-")
	if err != nil {
		return fmt.Errorf("creating a directory for the artifact: %w", err)
	}
	if err := c.fetcher.Fetch(ctx, a, tmp); err != nil {
		os.RemoveAll(tmp)
		return err
	}
	if err := os.Rename(tmp, dir); err != nil {
		os.RemoveAll(tmp)
		return fmt.Errorf("storing the unpacked artifact: %w", err)
	}
	return nil
}

// ensureRoot creates the cache directory on first use; c.mu is held.
func (c *Cache) ensureRoot() error {
	if c.root != "" {
		return nil
	}
	root, err := os.MkdirTemp(c.parent, "unpacked-artifacts-")
	if err != nil {
		return fmt.Errorf("creating the artifact cache directory: %w", err)
	}
	c.root = root
	return nil
}

// release drops one reference to e, forgets a failed fetch, and removes
// unused entries beyond keep.
func (c *Cache) release(key string, e *unpacked) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e.refs--
	c.clock++
	e.lastUsed = c.clock
	var remove []string
	if c.closed {
		if e.refs == 0 {
			if c.entries[key] == e {
				delete(c.entries, key)
			}
			remove = append(remove, e.dir)
		}
	} else {
		for len(c.entries) > c.keep {
			oldKey, old := "", (*unpacked)(nil)
			for k, cand := range c.entries {
				if cand.refs == 0 && (old == nil || cand.lastUsed < old.lastUsed) {
					oldKey, old = k, cand
				}
			}
			if old == nil {
				break // every entry is in use
			}
			delete(c.entries, oldKey)
			remove = append(remove, old.dir)
		}
	}
	for _, dir := range remove {
		os.RemoveAll(dir)
	}
	if c.closed && len(c.entries) == 0 && c.root != "" {
		os.RemoveAll(c.root)
	}
}

// Close removes the cache directory; entries still in use are removed when
// released.
func (c *Cache) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	for k, e := range c.entries {
		if e.refs == 0 {
			delete(c.entries, k)
			os.RemoveAll(e.dir)
		}
	}
	if len(c.entries) == 0 && c.root != "" {
		os.RemoveAll(c.root)
	}
}

// Len reports how many artifacts are unpacked.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

// Start waits until ctx is done, then closes the cache: it makes the cache
// a controller-runtime Runnable (manager.Add), removed when the manager
// stops.
func (c *Cache) Start(ctx context.Context) error {
	<-ctx.Done()
	c.Close()
	return nil
}
