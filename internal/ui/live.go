package ui

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
)

// Live updates: one informer event handler per kind marks the kind
// changed for every client; each client's stream sends at most one
// "changed" event per liveInterval, naming the kinds, so that a thousand
// objects changing at once cost a page one refresh a second.
const (
	maxLiveClients = 100
	liveInterval   = time.Second
	heartbeat      = 15 * time.Second
)

// hub fans informer changes out to the /live streams.
type hub struct {
	max int

	mu      sync.Mutex
	clients map[*liveClient]struct{}
}

// liveClient is one /live stream.
type liveClient struct {
	mu sync.Mutex
	// pending are the kinds changed, each with the namespaces its changes
	// were in, so that a user is told only of changes they may see.
	pending map[string]map[string]bool
	wake    chan struct{}
}

func newHub(max int) *hub {
	return &hub{max: max, clients: map[*liveClient]struct{}{}}
}

// watch registers an event handler for every kind.
func (h *hub) watch(inf cache.Informers) error {
	for _, k := range kinds {
		i, err := inf.GetInformer(context.Background(), k.newObject(), cache.BlockUntilSynced(false))
		if err != nil {
			return fmt.Errorf("ui: watching %s: %w", k.plural, err)
		}
		name := k.name
		changed := func(obj any) { h.changedIn(name, namespaceOf(obj)) }
		if _, err := i.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
			AddFunc:    changed,
			UpdateFunc: func(_, obj any) { changed(obj) },
			DeleteFunc: changed,
		}); err != nil {
			return fmt.Errorf("ui: watching %s: %w", k.plural, err)
		}
	}
	return nil
}

// namespaceOf is the namespace of an informer's object, "" when unknown.
func namespaceOf(obj any) string {
	if d, ok := obj.(toolscache.DeletedFinalStateUnknown); ok {
		obj = d.Obj
	}
	if o, ok := obj.(interface{ GetNamespace() string }); ok {
		return o.GetNamespace()
	}
	return ""
}

// changed marks kind changed, in no namespace known, for every client.
func (h *hub) changed(kind string) { h.changedIn(kind, "") }

// changedIn marks kind changed in namespace for every client.
func (h *hub) changedIn(kind, namespace string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.clients {
		c.mu.Lock()
		if c.pending[kind] == nil {
			c.pending[kind] = map[string]bool{}
		}
		c.pending[kind][namespace] = true
		c.mu.Unlock()
		select {
		case c.wake <- struct{}{}:
		default:
		}
	}
}

// join adds a client, or returns nil when there are too many.
func (h *hub) join() *liveClient {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.clients) >= h.max {
		return nil
	}
	c := &liveClient{pending: map[string]map[string]bool{}, wake: make(chan struct{}, 1)}
	h.clients[c] = struct{}{}
	return c
}

func (h *hub) leave(c *liveClient) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.clients, c)
}

// take returns the kinds changed since the last take, sorted.
func (c *liveClient) take() []string { return c.takeVisible(nil) }

// takeVisible returns the kinds changed since the last take in a
// namespace visible allows, sorted; a change in no namespace known counts
// only where visible allows the kind's "" namespace (everywhere).
func (c *liveClient) takeVisible(visible Filter) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for k, namespaces := range c.pending {
		for ns := range namespaces {
			if visible.Allows(k, ns) {
				out = append(out, k)
				break
			}
		}
	}
	clear(c.pending)
	slices.Sort(out)
	return out
}

// serveLive streams server-sent events: "changed" with the kinds that
// changed, and a comment as heartbeat, until the request ends.
func (s *Server) serveLive(w http.ResponseWriter, r *http.Request) {
	c := s.live.join()
	if c == nil {
		http.Error(w, "too many live clients", http.StatusServiceUnavailable)
		return
	}
	defer s.live.leave(c)
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	send := func(msg string) bool {
		if _, err := fmt.Fprint(w, msg); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	// The retry field tells the browser how soon to reconnect.
	if !send("retry: 3000\n: ferry live\n\n") {
		return
	}
	beat := time.NewTicker(heartbeat)
	defer beat.Stop()
	var last time.Time
	for {
		select {
		case <-r.Context().Done():
			return
		case <-beat.C:
			if !send(": heartbeat\n\n") {
				return
			}
		case <-c.wake:
			// Coalesce: wait out the rest of the interval since the last
			// event, gathering what else changed meanwhile.
			if wait := liveInterval - time.Since(last); wait > 0 {
				select {
				case <-r.Context().Done():
					return
				case <-time.After(wait):
				}
			}
			// Ask afresh what the user may see (Visible caches it): the
			// stream outlives its request's Filter.
			var visible Filter
			if s.opts.Visible != nil {
				f, err := s.opts.Visible(r)
				if err != nil {
					s.opts.Log.Error(err, "checking what a live client may see")
					c.take()
					continue
				}
				visible = f
			}
			changed := c.takeVisible(visible)
			if len(changed) == 0 {
				continue
			}
			last = time.Now()
			if !send("event: changed\ndata: " + strings.Join(changed, " ") + "\n\n") {
				return
			}
		}
	}
}
