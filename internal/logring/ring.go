package logring

import (
	"container/list"
	"sync"
	"time"
)

// The default bounds of a Ring (see the package documentation).
const (
	DefaultLines   = 200
	DefaultObjects = 5000
	DefaultBytes   = 64 << 20
	// MaxLineBytes caps one line's message and values together.
	MaxLineBytes = 4 << 10
)

// lineOverhead is what a kept line costs beside its text (its time,
// level, string headers), counted against Options.Bytes so that many
// short lines cannot outgrow the budget either.
const lineOverhead = 64

// Key names the object a line is about.
type Key struct {
	Kind, Namespace, Name string
}

// Level is a line's severity.
type Level uint8

// The levels: logr's V(0) is LevelInfo, V(1) and above LevelDebug.
const (
	LevelDebug Level = iota
	LevelInfo
	LevelError
)

// String is the level's name: "debug", "info" or "error".
func (l Level) String() string {
	switch l {
	case LevelError:
		return "error"
	case LevelInfo:
		return "info"
	}
	return "debug"
}

// Line is one kept log line.
type Line struct {
	Time    time.Time
	Level   Level
	Message string
	// Values are the line's key-values as key=value pairs separated by
	// spaces, a value quoted when it holds a space, '=' or '"': first the
	// error of an Error line, then the call's, then the logger's own
	// (reconcileID), without those that name the object.
	Values string
}

func (l *Line) size() int { return len(l.Message) + len(l.Values) + lineOverhead }

// Options bound a Ring; a zero field takes its default.
type Options struct {
	// Lines is how many lines are kept per object, the newest.
	Lines int
	// Objects is how many objects lines are kept for, the most recently
	// written.
	Objects int
	// Bytes bounds the text of every kept line together; the least
	// recently written objects are dropped to stay under it. It is raised
	// to hold at least one object's Lines full-size lines.
	Bytes int
}

// Ring keeps the recent log lines of each object. It is safe for
// concurrent use; its zero value is not usable, use New.
type Ring struct {
	maxLines, maxObjects, maxBytes int

	mu      sync.Mutex
	objects map[Key]*objectLog
	// order is the objects by their last write, newest first, for
	// eviction.
	order *list.List
	bytes int
}

// objectLog is one object's lines, a circular buffer once full.
type objectLog struct {
	key   Key
	lines []Line
	// first is the index of the oldest line once lines is full.
	first int
	bytes int
	// elem is the object's place in Ring.order.
	elem *list.Element
}

// New returns an empty Ring bounded by opts.
func New(opts Options) *Ring {
	r := &Ring{maxLines: opts.Lines, maxObjects: opts.Objects, maxBytes: opts.Bytes, objects: map[Key]*objectLog{}, order: list.New()}
	if r.maxLines <= 0 {
		r.maxLines = DefaultLines
	}
	if r.maxObjects <= 0 {
		r.maxObjects = DefaultObjects
	}
	if r.maxBytes <= 0 {
		r.maxBytes = DefaultBytes
	}
	r.maxBytes = max(r.maxBytes, r.maxLines*(MaxLineBytes+lineOverhead))
	return r
}

// Add keeps l as the newest line of the object k, dropping the object's
// oldest line beyond Options.Lines and the least recently written objects
// beyond Options.Objects and Options.Bytes. The text is cut to
// MaxLineBytes.
func (r *Ring) Add(k Key, l Line) {
	capLine(&l)
	size := l.size()
	r.mu.Lock()
	defer r.mu.Unlock()
	o := r.objects[k]
	if o == nil {
		o = &objectLog{key: k}
		o.elem = r.order.PushFront(o)
		r.objects[k] = o
	} else {
		r.order.MoveToFront(o.elem)
	}
	if len(o.lines) < r.maxLines {
		o.lines = append(o.lines, l)
	} else {
		old := &o.lines[o.first]
		o.bytes -= old.size()
		r.bytes -= old.size()
		*old = l
		o.first = (o.first + 1) % len(o.lines)
	}
	o.bytes += size
	r.bytes += size
	for (len(r.objects) > r.maxObjects || r.bytes > r.maxBytes) && r.order.Back() != o.elem {
		r.evict(r.order.Back().Value.(*objectLog))
	}
}

// Lines returns the kept lines of the object k, oldest first; nil for an
// object without any.
func (r *Ring) Lines(k Key) []Line {
	r.mu.Lock()
	defer r.mu.Unlock()
	o := r.objects[k]
	if o == nil {
		return nil
	}
	out := make([]Line, 0, len(o.lines))
	out = append(out, o.lines[o.first:]...)
	return append(out, o.lines[:o.first]...)
}

// Forget drops the lines of the object k.
func (r *Ring) Forget(k Key) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if o := r.objects[k]; o != nil {
		r.evict(o)
	}
}

// Len returns how many objects lines are kept for.
func (r *Ring) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.objects)
}

// Bytes returns the size of the kept lines, as counted against
// Options.Bytes.
func (r *Ring) Bytes() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.bytes
}

func (r *Ring) evict(o *objectLog) {
	r.order.Remove(o.elem)
	delete(r.objects, o.key)
	r.bytes -= o.bytes
}

// capLine cuts the message and values of l to MaxLineBytes together, the
// message first, each at a character boundary and marked with "…".
func capLine(l *Line) {
	if len(l.Message)+len(l.Values) <= MaxLineBytes {
		return
	}
	if len(l.Message) >= MaxLineBytes {
		l.Message, l.Values = cut(l.Message, MaxLineBytes), ""
		return
	}
	l.Values = cut(l.Values, MaxLineBytes-len(l.Message))
}

// ellipsis marks cut text.
const ellipsis = "…"

// cut returns s in at most n bytes, ending with ellipsis when shortened.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	n -= len(ellipsis)
	if n < 0 {
		return ""
	}
	// Back up to the start of a UTF-8 sequence.
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + ellipsis
}
