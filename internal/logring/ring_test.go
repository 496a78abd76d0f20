package logring

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
)

func key(i int) Key {
	return Key{Kind: "Kustomization", Namespace: "apps", Name: fmt.Sprintf("app-%d", i)}
}

func messages(lines []Line) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = l.Message
	}
	return out
}

func TestRingKeepsTheNewestLinesOfAnObject(t *testing.T) {
	r := New(Options{Lines: 3})
	if got := r.Lines(key(0)); got != nil {
		t.Fatalf("lines of an unknown object = %v", got)
	}
	for i := range 5 {
		r.Add(key(0), Line{Message: fmt.Sprint(i)})
	}
	r.Add(key(1), Line{Message: "other"})
	if got := strings.Join(messages(r.Lines(key(0))), ","); got != "2,3,4" {
		t.Errorf("lines = %s, want the newest three, oldest first: 2,3,4", got)
	}
	if got := strings.Join(messages(r.Lines(key(1))), ","); got != "other" {
		t.Errorf("the other object's lines = %s", got)
	}
	// Overwritten lines no longer count against the budget.
	if want := 3*(1+lineOverhead) + len("other") + lineOverhead; r.Bytes() != want {
		t.Errorf("Bytes = %d, want %d", r.Bytes(), want)
	}
}

func TestRingEvictsTheLeastRecentlyWrittenObject(t *testing.T) {
	r := New(Options{Objects: 3})
	for i := range 3 {
		r.Add(key(i), Line{Message: "first"})
	}
	// Writing to object 0 makes object 1 the least recently written.
	r.Add(key(0), Line{Message: "again"})
	r.Add(key(3), Line{Message: "new"})
	if r.Len() != 3 {
		t.Errorf("Len = %d, want 3", r.Len())
	}
	if r.Lines(key(1)) != nil {
		t.Error("object 1, the least recently written, was kept")
	}
	for _, i := range []int{0, 2, 3} {
		if r.Lines(key(i)) == nil {
			t.Errorf("object %d was evicted", i)
		}
	}
	r.Forget(key(0))
	if r.Lines(key(0)) != nil || r.Len() != 2 {
		t.Errorf("after Forget: lines %v, Len %d", r.Lines(key(0)), r.Len())
	}
	want := len("first") + len("new") + 2*lineOverhead
	if r.Bytes() != want {
		t.Errorf("Bytes = %d, want %d", r.Bytes(), want)
	}
}

func TestRingStaysUnderItsByteBudget(t *testing.T) {
	// A budget of two objects' full lines: each object below writes one
	// full object's worth.
	const lines = 4
	budget := 2 * lines * (MaxLineBytes + lineOverhead)
	r := New(Options{Lines: lines, Bytes: budget})
	big := strings.Repeat("x", MaxLineBytes)
	for i := range 5 {
		for range lines {
			r.Add(key(i), Line{Message: big})
		}
		if r.Bytes() > budget {
			t.Fatalf("after object %d: Bytes = %d, over the budget %d", i, r.Bytes(), budget)
		}
	}
	if r.Len() != 2 || r.Lines(key(4)) == nil || r.Lines(key(3)) == nil {
		t.Errorf("kept %d objects; want the two newest (3 and 4)", r.Len())
	}
	// A budget below one object's full lines is raised to it, so that
	// the object written last is never evicted by its own line.
	small := New(Options{Lines: lines, Bytes: 1})
	for range 2 * lines {
		small.Add(key(0), Line{Message: big})
	}
	if got := len(small.Lines(key(0))); got != lines {
		t.Errorf("with a tiny budget the object keeps %d lines, want %d", got, lines)
	}
}

func TestRingCapsEachLine(t *testing.T) {
	tests := map[string]struct {
		msg, values         string
		wantMsg, wantValues int // lengths
	}{
		"short":          {msg: "ok", values: "a=1", wantMsg: 2, wantValues: 3},
		"long values":    {msg: "applied", values: strings.Repeat("v", 2*MaxLineBytes), wantMsg: 7, wantValues: MaxLineBytes - 7},
		"long message":   {msg: strings.Repeat("m", 2*MaxLineBytes), values: "a=1", wantMsg: MaxLineBytes, wantValues: 0},
		"exactly fits":   {msg: strings.Repeat("m", MaxLineBytes-3), values: "a=1", wantMsg: MaxLineBytes - 3, wantValues: 3},
		"multi-byte cut": {msg: strings.Repeat("é", MaxLineBytes), wantMsg: MaxLineBytes - 1, wantValues: 0},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			r := New(Options{})
			r.Add(key(0), Line{Message: tt.msg, Values: tt.values})
			l := r.Lines(key(0))[0]
			if len(l.Message) != tt.wantMsg || len(l.Values) != tt.wantValues {
				t.Errorf("lengths %d and %d, want %d and %d", len(l.Message), len(l.Values), tt.wantMsg, tt.wantValues)
			}
			if len(l.Message)+len(l.Values) > MaxLineBytes {
				t.Errorf("the line holds %d bytes, over %d", len(l.Message)+len(l.Values), MaxLineBytes)
			}
			if !utf8.ValidString(l.Message) || !utf8.ValidString(l.Values) {
				t.Error("the cut split a character")
			}
			if cutShort := len(tt.msg)+len(tt.values) > MaxLineBytes; cutShort != strings.HasSuffix(l.Message+l.Values, ellipsis) {
				t.Errorf("cut %v, but the ellipsis mark is %v", cutShort, !cutShort)
			}
		})
	}
}

// TestRingConcurrency writes, reads and forgets from many goroutines; run
// with -race it checks the locking, and the bounds hold afterwards.
func TestRingConcurrency(t *testing.T) {
	r := New(Options{Lines: 10, Objects: 20})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 500 {
				k := key((g*7 + i) % 40)
				r.Add(k, Line{Message: "line", Values: fmt.Sprintf("i=%d", i)})
				if i%10 == 0 {
					_ = r.Lines(k)
				}
				if i%97 == 0 {
					r.Forget(key(i % 40))
				}
			}
		})
	}
	wg.Wait()
	if r.Len() > 20 {
		t.Errorf("Len = %d, over 20", r.Len())
	}
	total := 0
	for i := range 40 {
		n := len(r.Lines(key(i)))
		if n > 10 {
			t.Errorf("object %d keeps %d lines, over 10", i, n)
		}
		for _, l := range r.Lines(key(i)) {
			total += l.size()
		}
	}
	if total != r.Bytes() {
		t.Errorf("the lines held add up to %d bytes, Bytes says %d", total, r.Bytes())
	}
}
