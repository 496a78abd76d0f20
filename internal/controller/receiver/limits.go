package receiver

import (
	"container/list"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

const (
	// DefaultRate is how many calls per second one Receiver may trigger
	// reconciliations with once its burst is spent.
	DefaultRate = 1
	// DefaultBurst is how many calls one Receiver may make at once before
	// calls are answered 429 Too Many Requests.
	DefaultBurst = 10
	// ReplayWindow is how long a delivery id a service sent is remembered:
	// the same id again within it is acknowledged without reconciling.
	ReplayWindow = time.Hour
	// maxReplays bounds the delivery ids remembered, for all Receivers
	// together; the oldest are forgotten first.
	maxReplays = 4096
	// maxLimiters bounds the token buckets kept, one per Receiver; the
	// least recently used is dropped first (and starts full when needed
	// again).
	maxLimiters = 4096
)

// lru is a map of at most max entries that forgets the least recently
// used one when full. It is safe for concurrent use.
type lru[V any] struct {
	mu    sync.Mutex
	max   int
	order *list.List // of *entry[V], most recent first
	items map[string]*list.Element
}

type entry[V any] struct {
	key   string
	value V
}

func newLRU[V any](max int) *lru[V] {
	return &lru[V]{max: max, order: list.New(), items: map[string]*list.Element{}}
}

// getOrAdd returns the value of key, adding make() when it has none.
func (c *lru[V]) getOrAdd(key string, make func() V) V {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[key]; ok {
		c.order.MoveToFront(e)
		return e.Value.(*entry[V]).value
	}
	v := make()
	c.add(key, v)
	return v
}

// add sets key to v; the caller holds mu.
func (c *lru[V]) add(key string, v V) {
	if e, ok := c.items[key]; ok {
		e.Value.(*entry[V]).value = v
		c.order.MoveToFront(e)
		return
	}
	c.items[key] = c.order.PushFront(&entry[V]{key: key, value: v})
	for c.order.Len() > c.max {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.items, last.Value.(*entry[V]).key)
	}
}

// remove forgets key.
func (c *lru[V]) remove(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[key]; ok {
		c.order.Remove(e)
		delete(c.items, key)
	}
}

// limiters holds a token bucket per Receiver.
type limiters struct {
	rate    rate.Limit
	burst   int
	buckets *lru[*rate.Limiter]
}

func newLimiters(perSecond float64, burst int) *limiters {
	return &limiters{rate: rate.Limit(perSecond), burst: burst, buckets: newLRU[*rate.Limiter](maxLimiters)}
}

// allow takes a token from the bucket of receiver; false means the call is
// over the limit.
func (l *limiters) allow(receiver string) bool {
	return l.buckets.getOrAdd(receiver, func() *rate.Limiter { return rate.NewLimiter(l.rate, l.burst) }).Allow()
}

// replays remembers the delivery ids handled per Receiver for ReplayWindow.
type replays struct {
	window time.Duration
	now    func() time.Time
	seen   *lru[time.Time]
}

func newReplays() *replays {
	return &replays{window: ReplayWindow, now: time.Now, seen: newLRU[time.Time](maxReplays)}
}

// claim records delivery id of receiver as being handled and reports
// whether it is new: false means it was handled within the window. A
// handling that fails gives its claim back with release, so that the
// service's retry is not taken for a replay.
func (r *replays) claim(receiver, id string) bool {
	key := receiver + "\x00" + id
	now := r.now()
	r.seen.mu.Lock()
	defer r.seen.mu.Unlock()
	if e, ok := r.seen.items[key]; ok && now.Sub(e.Value.(*entry[time.Time]).value) < r.window {
		return false
	}
	r.seen.add(key, now)
	return true
}

// release forgets a claim whose handling failed.
func (r *replays) release(receiver, id string) {
	r.seen.remove(receiver + "\x00" + id)
}
