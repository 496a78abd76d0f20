// Package logring keeps the reconcilers' recent log lines per object in
// memory, so the web UI can show an object's own log without looking a
// pod up or reading a log store.
//
// Ring.Wrap tees a logr.Logger: every line still goes to the wrapped
// logger, and a line logged through a logger that names an object is also
// kept under that object's Key. controller-runtime's reconciler loggers
// name it: the builder adds "controller", "controllerGroup",
// "controllerKind" (the kind) and then, per request, the kind as key with
// a klog.ObjectRef {name, namespace}, "namespace", "name" and
// "reconcileID". The Receiver webhook server's logger names its Receiver
// as "receiver": "<namespace>/<name>". Any other line (start-up, client-go,
// the UI) costs one check and is not kept.
//
// A line is kept only when the wrapped logger writes it (its Enabled
// decides for Info; Error is always written), with its values rendered as
// the wrapped zap logger renders them (logr.Marshaler first, then error,
// fmt.Stringer, and JSON for structs, so fields tagged json:"-" stay out).
// zap's sampling in production mode (the first 100 identical messages a
// second, then one in 100) thins the process's log stream only: the ring
// keeps the thinned-out repetitions too, which are the same text.
//
// Memory is bounded three ways: at most Options.Lines lines per object
// (200), each line's message and values capped at MaxLineBytes (4 KiB),
// at most Options.Objects objects (5000), and at most Options.Bytes of
// line text in all (64 MiB), the least recently written object evicted
// first. Without the byte budget the worst case would be 5000 × 200 × 4
// KiB, 4 GiB; with it the ring holds at most about 64 MiB plus a fixed
// ~100 bytes per line and per object.
package logring
