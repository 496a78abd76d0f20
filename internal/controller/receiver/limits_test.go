package receiver

import (
	"fmt"
	"testing"
	"time"
)

func TestReplays(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	r := newReplays()
	r.now = func() time.Time { return now }

	if !r.claim("ns/a", "d-1") {
		t.Fatal("a first delivery is not new")
	}
	if r.claim("ns/a", "d-1") {
		t.Error("the same delivery again is new")
	}
	if !r.claim("ns/b", "d-1") {
		t.Error("the same id for another Receiver is not new")
	}
	r.release("ns/a", "d-1")
	if !r.claim("ns/a", "d-1") {
		t.Error("a released delivery is not new again")
	}
	now = now.Add(ReplayWindow)
	if !r.claim("ns/a", "d-1") {
		t.Error("a delivery older than the window is not new")
	}
}

func TestReplaysBounded(t *testing.T) {
	r := newReplays()
	for i := range maxReplays + 10 {
		r.claim("ns/a", fmt.Sprint(i))
	}
	if n := len(r.seen.items); n != maxReplays {
		t.Errorf("%d ids remembered, want %d", n, maxReplays)
	}
	if !r.claim("ns/a", "0") {
		t.Error("the oldest id is still remembered")
	}
	if r.claim("ns/a", fmt.Sprint(maxReplays+9)) {
		t.Error("the newest id is forgotten")
	}
}

func TestLimiters(t *testing.T) {
	l := newLimiters(0.0001, 3) // practically no refill during the test
	allowed := 0
	for range 10 {
		if l.allow("ns/a") {
			allowed++
		}
	}
	if allowed != 3 {
		t.Errorf("%d of 10 calls allowed, want the burst of 3", allowed)
	}
	if !l.allow("ns/b") {
		t.Error("another Receiver is limited by the first one's calls")
	}
	l.buckets.remove("ns/a")
	if !l.allow("ns/a") {
		t.Error("a forgotten Receiver starts without tokens")
	}
}
