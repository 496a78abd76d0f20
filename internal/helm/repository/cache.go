package repository

import (
	"container/list"
	"fmt"
	"io"
	"sync"

	repo "helm.sh/helm/v4/pkg/repo/v1"
)

// IndexCache holds parsed repository indexes by key (an artifact's digest
// or revision), so every HelmChart of one HelmRepository revision shares one
// *repo.IndexFile instead of parsing the index again: a Bitnami-sized index
// costs hundreds of megabytes per parse. It keeps at most maxEntries indexes,
// evicting the least recently used; concurrent Gets of one key parse once.
// It is safe for concurrent use. Callers must not modify the indexes.
type IndexCache struct {
	// MaxIndexSize bounds what open may return; zero means
	// DefaultMaxIndexSize.
	MaxIndexSize int64

	mu         sync.Mutex
	maxEntries int
	order      *list.List // of *cacheEntry, most recent first
	entries    map[string]*list.Element
	inflight   map[string]*call
}

type cacheEntry struct {
	key   string
	index *repo.IndexFile
}

// call is a parse in progress that other Gets of the key wait for.
type call struct {
	done  chan struct{}
	index *repo.IndexFile
	err   error
}

// NewIndexCache returns a cache of at most maxEntries indexes (at least one).
func NewIndexCache(maxEntries int) *IndexCache {
	if maxEntries < 1 {
		maxEntries = 1
	}
	return &IndexCache{
		maxEntries: maxEntries,
		order:      list.New(),
		entries:    map[string]*list.Element{},
		inflight:   map[string]*call{},
	}
}

// Get returns the index stored under key, parsing what open returns (with
// ParseIndex, at most MaxIndexSize bytes) when it is not cached. A failed
// open or parse is returned to every waiting caller and not cached.
func (c *IndexCache) Get(key string, open func() (io.ReadCloser, error)) (*repo.IndexFile, error) {
	c.mu.Lock()
	if el, ok := c.entries[key]; ok {
		c.order.MoveToFront(el)
		c.mu.Unlock()
		return el.Value.(*cacheEntry).index, nil
	}
	if cl, ok := c.inflight[key]; ok {
		c.mu.Unlock()
		<-cl.done
		return cl.index, cl.err
	}
	cl := &call{done: make(chan struct{})}
	c.inflight[key] = cl
	c.mu.Unlock()

	cl.index, cl.err = c.load(open)

	c.mu.Lock()
	delete(c.inflight, key)
	if cl.err == nil {
		c.entries[key] = c.order.PushFront(&cacheEntry{key: key, index: cl.index})
		for c.order.Len() > c.maxEntries {
			oldest := c.order.Back()
			c.order.Remove(oldest)
			delete(c.entries, oldest.Value.(*cacheEntry).key)
		}
	}
	c.mu.Unlock()
	close(cl.done)
	return cl.index, cl.err
}

// Len returns how many indexes are cached.
func (c *IndexCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}

func (c *IndexCache) load(open func() (io.ReadCloser, error)) (*repo.IndexFile, error) {
	max := c.MaxIndexSize
	if max <= 0 {
		max = DefaultMaxIndexSize
	}
	rc, err := open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, max+1))
	if err != nil {
		return nil, fmt.Errorf("failed to read index: %w", err)
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("failed to read index: %w: more than the maximum of %s", ErrTooLarge, humanSize(max))
	}
	index, err := ParseIndex(data)
	if err != nil {
		return nil, fmt.Errorf("failed to load index: %w", err)
	}
	return index, nil
}
