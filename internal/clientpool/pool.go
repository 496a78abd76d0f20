// Package clientpool keeps one client per way of reaching a server (a
// registry, an S3 endpoint), so the reconciles of the objects that reach it
// the same way share its connections (one TLS handshake, not one per
// interval) and what it learnt (a registry's token, a bucket's region).
package clientpool

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"sort"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// Pool holds clients of type C by key. The key names the way a client was
// made: the caller derives it (Key) from everything the client is made of
// (endpoint, credentials, TLS material, proxy, insecure), so changed
// credentials get a new client. A client unused for the pool's idle time
// is closed.
type Pool[C any] struct {
	idle  time.Duration
	max   int
	close func(C)

	mu      sync.Mutex
	clients map[string]*pooled[C]
}

type pooled[C any] struct {
	c    C
	used time.Time
}

// New returns a pool closing (with close, when set) clients unused for
// idle (one hour when zero or less) and holding at most max (1024 when
// zero or less), the least recently used going first.
func New[C any](idle time.Duration, max int, close func(C)) *Pool[C] {
	if idle <= 0 {
		idle = time.Hour
	}
	if max <= 0 {
		max = 1024
	}
	return &Pool[C]{idle: idle, max: max, close: close, clients: map[string]*pooled[C]{}}
}

// Get returns the client of key, made with make the first time (an error
// of make is returned and nothing is kept). The caller does not close it.
func (p *Pool[C]) Get(key string, make func() (C, error)) (C, error) {
	now := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	if e, ok := p.clients[key]; ok {
		e.used = now
		return e.c, nil
	}
	c, err := make()
	if err != nil {
		return c, err
	}
	var oldest string
	for k, e := range p.clients {
		if now.Sub(e.used) > p.idle {
			p.drop(k)
		} else if oldest == "" || e.used.Before(p.clients[oldest].used) {
			oldest = k
		}
	}
	if len(p.clients) >= p.max && oldest != "" {
		p.drop(oldest)
	}
	p.clients[key] = &pooled[C]{c: c, used: now}
	return c, nil
}

func (p *Pool[C]) drop(key string) {
	if p.close != nil {
		p.close(p.clients[key].c)
	}
	delete(p.clients, key)
}

// Len is the number of clients held.
func (p *Pool[C]) Len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.clients)
}

// Key digests what a client is made of into a pool key; the key shows
// nothing of the secrets it covers.
type Key struct{ h hash.Hash }

// NewKey starts a key with fields.
func NewKey(fields ...string) *Key {
	k := &Key{h: sha256.New()}
	for _, f := range fields {
		k.Add(f)
	}
	return k
}

// Add adds a field (length-prefixed, so fields cannot run together).
func (k *Key) Add(field string) *Key {
	fmt.Fprintf(k.h, "%d:%s\n", len(field), field)
	return k
}

// Secrets adds the names and data of secrets, data keys in order.
func (k *Key) Secrets(secrets ...*corev1.Secret) *Key {
	for _, s := range secrets {
		names := make([]string, 0, len(s.Data))
		for name := range s.Data {
			names = append(names, name)
		}
		sort.Strings(names)
		k.Add(s.Namespace + "/" + s.Name)
		for _, name := range names {
			k.Add(name).Add(string(s.Data[name]))
		}
	}
	return k
}

// String is the key.
func (k *Key) String() string { return hex.EncodeToString(k.h.Sum(nil)) }
