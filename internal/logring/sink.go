package logring

import (
	"strings"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/klog/v2"
)

// The keys controller-runtime's builder puts on a reconciler's logger
// (pkg/builder's LogConstructor and pkg/internal/controller's
// reconcileHandler): "controllerKind" holds the kind, and the kind itself
// is the key of a klog.ObjectRef of the request.
const (
	keyController      = "controller"
	keyControllerGroup = "controllerGroup"
	keyControllerKind  = "controllerKind"
	keyNamespace       = "namespace"
	keyName            = "name"
)

// namedKeys are the keys of ferry's own loggers that name an object as
// "<namespace>/<name>", and the object's kind: the Receiver webhook
// server's (internal/controller/receiver/server.go).
var namedKeys = map[string]string{"receiver": "Receiver"}

// Wrap returns a logger that writes every line to l and keeps those of a
// logger that names an object in r as well. Wrapping a logger that
// discards everything keeps nothing.
func (r *Ring) Wrap(l logr.Logger) logr.Logger {
	next := l.GetSink()
	if next == nil {
		return l
	}
	// The wrapper is one more frame between the caller and the wrapped
	// sink, which reports the caller's file and line.
	if cd, ok := next.(logr.CallDepthLogSink); ok {
		next = cd.WithCallDepth(1)
	}
	return logr.New(&sink{next: next, ring: r, values: &values{}})
}

// sink is the LogSink of a wrapped logger.
type sink struct {
	next logr.LogSink
	ring *Ring
	// key is the object the logger names; empty Name for none.
	key Key
	// kind is the controllerKind seen, ns and name the "namespace" and
	// "name" seen, until an ObjectRef of the kind names the object.
	kind, ns, name string
	fromRef        bool
	// values are the logger's own key-values that do not name the
	// object, rendered once, when a line of the object is first kept.
	values *values
}

// values are a logger's key-values, rendered lazily: most loggers of a
// reconcile never keep a line.
type values struct {
	kvs      []any
	once     sync.Once
	rendered string
}

func (v *values) String() string {
	v.once.Do(func() {
		var b strings.Builder
		appendValues(&b, v.kvs, MaxLineBytes)
		v.rendered = b.String()
	})
	return v.rendered
}

// Init does nothing: the wrapped sink was initialised with its own logger.
func (s *sink) Init(logr.RuntimeInfo) {}

// Enabled reports whether the wrapped sink writes lines of level.
func (s *sink) Enabled(level int) bool { return s.next.Enabled(level) }

// Info writes the line, and keeps it when the logger names an object.
// logr calls it only when Enabled.
func (s *sink) Info(level int, msg string, kvs ...any) {
	s.next.Info(level, msg, kvs...)
	if s.key.Name == "" {
		return
	}
	lvl := LevelInfo
	if level > 0 {
		lvl = LevelDebug
	}
	s.ring.Add(s.key, Line{Time: time.Now(), Level: lvl, Message: msg, Values: s.render(nil, kvs)})
}

// Error writes the line, and keeps it when the logger names an object.
func (s *sink) Error(err error, msg string, kvs ...any) {
	s.next.Error(err, msg, kvs...)
	if s.key.Name == "" {
		return
	}
	s.ring.Add(s.key, Line{Time: time.Now(), Level: LevelError, Message: msg, Values: s.render(err, kvs)})
}

// render is a line's values: its error, the call's key-values, then the
// logger's.
func (s *sink) render(err error, kvs []any) string {
	limit := MaxLineBytes
	var b strings.Builder
	if err != nil {
		appendPair(&b, "error", err)
	}
	appendValues(&b, kvs, limit)
	if own := s.values.String(); own != "" && b.Len() < limit {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(own)
	}
	return b.String()
}

// WithValues notes an object the key-values name and keeps the others for
// the lines.
func (s *sink) WithValues(kvs ...any) logr.LogSink {
	n := *s
	n.next = s.next.WithValues(kvs...)
	var own []any
	for i := 0; i+1 < len(kvs); i += 2 {
		k, ok := kvs[i].(string)
		if !ok {
			// zapr drops the rest after a key that is not a string.
			break
		}
		v := kvs[i+1]
		switch {
		case k == keyController || k == keyControllerGroup:
			continue
		case k == keyControllerKind:
			if kind, ok := v.(string); ok {
				n.kind = kind
			}
			continue
		case n.kind != "" && k == n.kind:
			if ref, ok := v.(klog.ObjectRef); ok {
				n.ns, n.name, n.fromRef = ref.Namespace, ref.Name, true
				continue
			}
		case k == keyNamespace || k == keyName:
			// The request's namespace and name, after its ObjectRef; on a
			// logger without one they name the object themselves.
			str, _ := v.(string)
			if n.fromRef && (str == n.ns || str == n.name) {
				continue
			}
			if !n.fromRef && n.kind != "" {
				if k == keyNamespace {
					n.ns = str
				} else {
					n.name = str
				}
				continue
			}
		case namedKeys[k] != "" && n.key.Name == "":
			if str, ok := v.(string); ok {
				if ns, name, ok := strings.Cut(str, "/"); ok {
					n.kind, n.ns, n.name, n.fromRef = namedKeys[k], ns, name, true
					continue
				}
			}
		}
		own = append(own, k, v)
	}
	if n.kind != "" && n.name != "" {
		n.key = Key{Kind: n.kind, Namespace: n.ns, Name: n.name}
	}
	if len(own) > 0 {
		n.values = &values{kvs: append(append([]any(nil), s.values.kvs...), own...)}
	}
	return &n
}

// WithName names the wrapped sink; names are not kept.
func (s *sink) WithName(name string) logr.LogSink {
	n := *s
	n.next = s.next.WithName(name)
	return &n
}

// WithCallDepth passes the depth on to the wrapped sink.
func (s *sink) WithCallDepth(depth int) logr.LogSink {
	cd, ok := s.next.(logr.CallDepthLogSink)
	if !ok {
		return s
	}
	n := *s
	n.next = cd.WithCallDepth(depth)
	return &n
}
