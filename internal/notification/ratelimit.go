package notification

import (
	"crypto/sha256"
	"sync"
	"time"

	"github.com/ferrycd/ferry/internal/events"
)

// DefaultRateLimitInterval is how long an event suppresses its identical
// repeats, Flux's default.
const DefaultRateLimitInterval = 5 * time.Minute

// maxRateLimitKeys bounds the memory of the limiter; past it the oldest
// half is forgotten (a repeat may then notify once more, never less).
const maxRateLimitKeys = 65536

// limiter drops an event identical to one it let through within interval.
type limiter struct {
	interval time.Duration
	now      func() time.Time

	mu   sync.Mutex
	seen map[[sha256.Size]byte]time.Time
}

func newLimiter(interval time.Duration) *limiter {
	return &limiter{interval: interval, now: time.Now, seen: map[[sha256.Size]byte]time.Time{}}
}

// allow reports whether e is the first of its kind within the interval,
// and remembers it. A non-positive interval allows everything.
func (l *limiter) allow(e *events.Event) bool {
	if l.interval <= 0 {
		return true
	}
	key := rateLimitKey(e)
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if last, ok := l.seen[key]; ok && now.Sub(last) < l.interval {
		return false
	}
	if len(l.seen) >= maxRateLimitKeys {
		l.sweep(now)
	}
	l.seen[key] = now
	return true
}

// sweep forgets expired keys, and the older half if none expired.
func (l *limiter) sweep(now time.Time) {
	for k, t := range l.seen {
		if now.Sub(t) >= l.interval {
			delete(l.seen, k)
		}
	}
	if len(l.seen) < maxRateLimitKeys {
		return
	}
	cut := now.Add(-l.interval / 2)
	for k, t := range l.seen {
		if t.Before(cut) {
			delete(l.seen, k)
		}
	}
}

// rateLimitKey identifies an event the way Flux's rate limiter does: the
// involved object, severity, reason, message, revision and token.
func rateLimitKey(e *events.Event) [sha256.Size]byte {
	h := sha256.New()
	o := e.InvolvedObject
	for _, part := range []string{
		o.APIVersion, o.Kind, o.Namespace, o.Name, e.Severity, e.Reason, e.Message,
		e.Metadata[events.MetaRevision], e.Metadata[events.MetaToken],
	} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	var key [sha256.Size]byte
	copy(key[:], h.Sum(nil))
	return key
}
