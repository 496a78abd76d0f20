package logring

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"
)

// written is what a funcr logger wrote, line by line.
type written struct {
	mu    sync.Mutex
	lines []string
}

func (w *written) logger(verbosity int) logr.Logger {
	return funcr.New(func(prefix, args string) {
		w.mu.Lock()
		defer w.mu.Unlock()
		w.lines = append(w.lines, prefix+" "+args)
	}, funcr.Options{Verbosity: verbosity, LogCaller: funcr.All})
}

func (w *written) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return strings.Join(w.lines, "\n")
}

// reconcilerLogger is l with the key-values controller-runtime v0.25's
// builder and controller put on the logger of one reconcile of the
// Kustomization ns/name (pkg/builder/controller.go's LogConstructor, then
// pkg/internal/controller's reconcileHandler), in the same calls.
func reconcilerLogger(l logr.Logger, ns, name string) logr.Logger {
	return l.WithValues("controller", "kustomization").
		WithValues("controllerGroup", "kustomize.toolkit.fluxcd.io", "controllerKind", "Kustomization").
		WithValues("Kustomization", klog.KRef(ns, name)).
		WithValues("namespace", ns, "name", name).
		WithValues("reconcileID", types.UID("6f1c2f5e-0000-4000-8000-000000000001"))
}

func TestWrapKeepsTheLinesOfAReconcilersObject(t *testing.T) {
	var w written
	r := New(Options{})
	log := r.Wrap(w.logger(0))

	rec := reconcilerLogger(log, "apps", "web")
	rec.Info("Reconciliation finished in 1.2s, next run in 10m0s", "revision", "main@sha1:abc")
	rec.V(1).Info("debug detail the logger does not write")
	rec.Error(errors.New("kustomization path not found: ./deploy"), "Reconciler error")
	log.Info("starting ferry controllers", "controllers", []string{"kustomization"})
	reconcilerLogger(log, "apps", "db").Info("other object")

	lines := r.Lines(Key{Kind: "Kustomization", Namespace: "apps", Name: "web"})
	if len(lines) != 2 {
		t.Fatalf("kept %d lines, want 2 (the V(1) line is not written, so not kept):\n%+v", len(lines), lines)
	}
	if l := lines[0]; l.Level != LevelInfo || l.Message != "Reconciliation finished in 1.2s, next run in 10m0s" ||
		l.Values != "revision=main@sha1:abc reconcileID=6f1c2f5e-0000-4000-8000-000000000001" || l.Time.IsZero() {
		t.Errorf("first line = %+v", l)
	}
	if l := lines[1]; l.Level != LevelError || l.Message != "Reconciler error" ||
		l.Values != `error="kustomization path not found: ./deploy" reconcileID=6f1c2f5e-0000-4000-8000-000000000001` {
		t.Errorf("error line = %+v", l)
	}
	if got := r.Lines(Key{Kind: "Kustomization", Namespace: "apps", Name: "db"}); len(got) != 1 {
		t.Errorf("the other object kept %d lines, want 1", len(got))
	}
	if r.Len() != 2 {
		t.Errorf("Len = %d: a line without an object was kept", r.Len())
	}

	// The wrapped logger still writes everything it would, with the
	// caller of the log call (not the wrapper) as the source.
	out := w.String()
	for _, want := range []string{`"msg"="Reconciliation finished`, `"Kustomization"={"name"="web" "namespace"="apps"}`, `"msg"="starting ferry controllers"`, `"msg"="Reconciler error"`, `"caller"={"file"="sink_test.go"`} {
		if !strings.Contains(out, want) {
			t.Errorf("the wrapped logger's output lacks %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, "debug detail") {
		t.Error("the wrapped logger wrote a V(1) line at verbosity 0")
	}
}

func TestWrapKeepsDebugLinesTheLoggerWrites(t *testing.T) {
	var w written
	r := New(Options{})
	reconcilerLogger(r.Wrap(w.logger(1)), "apps", "web").V(1).Info("artifact up-to-date with remote revision")
	lines := r.Lines(Key{Kind: "Kustomization", Namespace: "apps", Name: "web"})
	if len(lines) != 1 || lines[0].Level != LevelDebug {
		t.Errorf("lines = %+v, want the V(1) line at level debug", lines)
	}
}

func TestWrapFindsTheObject(t *testing.T) {
	tests := map[string]struct {
		logger func(logr.Logger) logr.Logger
		want   Key
		values string
	}{
		"controller-runtime reconciler": {
			logger: func(l logr.Logger) logr.Logger { return reconcilerLogger(l, "apps", "web") },
			want:   Key{Kind: "Kustomization", Namespace: "apps", Name: "web"},
			values: "reconcileID=6f1c2f5e-0000-4000-8000-000000000001",
		},
		"kind and namespace/name without an ObjectRef": {
			logger: func(l logr.Logger) logr.Logger {
				return l.WithValues("controller", "gitrepository", "controllerKind", "GitRepository").WithValues("namespace", "flux-system", "name", "fleet")
			},
			want: Key{Kind: "GitRepository", Namespace: "flux-system", Name: "fleet"},
		},
		"a later name value is the line's own": {
			logger: func(l logr.Logger) logr.Logger {
				return reconcilerLogger(l, "apps", "web").WithValues("name", "chart-0.1.0")
			},
			want:   Key{Kind: "Kustomization", Namespace: "apps", Name: "web"},
			values: "reconcileID=6f1c2f5e-0000-4000-8000-000000000001 name=chart-0.1.0",
		},
		"Receiver webhook server": {
			logger: func(l logr.Logger) logr.Logger {
				return l.WithName("receiver-server").WithValues("receiver", "flux-system/github", "type", "github")
			},
			want:   Key{Kind: "Receiver", Namespace: "flux-system", Name: "github"},
			values: "type=github",
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			var w written
			r := New(Options{})
			tt.logger(r.Wrap(w.logger(0))).Info("hello", "n", 1)
			lines := r.Lines(tt.want)
			if len(lines) != 1 {
				t.Fatalf("kept %d lines for %+v (%d objects)", len(lines), tt.want, r.Len())
			}
			want := "n=1"
			if tt.values != "" {
				want += " " + tt.values
			}
			if lines[0].Values != want {
				t.Errorf("values = %q, want %q", lines[0].Values, want)
			}
		})
	}

	// Loggers that name no object keep nothing.
	var w written
	r := New(Options{})
	log := r.Wrap(w.logger(0))
	log.WithValues("controller", "kustomization", "controllerKind", "Kustomization").Info("Starting workers", "worker count", 4)
	log.WithValues("namespace", "apps", "name", "web").Info("no kind")
	log.WithName("ui").Error(errors.New("boom"), "rendering a page")
	if r.Len() != 0 {
		t.Errorf("kept lines for %d objects, want none", r.Len())
	}
	if r := New(Options{}); r.Wrap(logr.Discard()).GetSink() != nil {
		t.Error("wrapping a discarding logger made a sink")
	}
}

// secretive has a field zap's JSON encoding leaves out.
type secretive struct {
	User     string `json:"user"`
	Password string `json:"-"`
}

type stringer struct{}

func (stringer) String() string { return "from String" }

type marshaler struct{}

func (marshaler) MarshalLog() any { return map[string]string{"shown": "by MarshalLog"} }
func (marshaler) String() string  { return "not String" }

func TestValuesAreRenderedAsTheLoggerWritesThem(t *testing.T) {
	var w written
	r := New(Options{})
	log := reconcilerLogger(r.Wrap(w.logger(0)), "apps", "web")
	log.Info("values",
		"text", "two words",
		"empty", "",
		"quote", `a"b`,
		"struct", secretive{User: "admin", Password: "hunter2"},
		"stringer", stringer{},
		"marshaler", marshaler{},
		"ref", klog.KRef("apps", "web"),
		"bytes", []byte("abc"),
		"float", 1.5,
		"ok", true,
		"dangling")
	lines := r.Lines(Key{Kind: "Kustomization", Namespace: "apps", Name: "web"})
	if len(lines) != 1 {
		t.Fatalf("kept %d lines", len(lines))
	}
	want := `text="two words" empty="" quote="a\"b" struct={"user":"admin"} stringer="from String" marshaler={"shown":"by MarshalLog"} ` +
		`ref={"name":"web","namespace":"apps"} bytes=[3 bytes] float=1.5 ok=true reconcileID=6f1c2f5e-0000-4000-8000-000000000001`
	if got := lines[0].Values; got != want {
		t.Errorf("values =\n%s\nwant\n%s", got, want)
	}
	if strings.Contains(lines[0].Values, "hunter2") {
		t.Error("a field the logger leaves out was kept")
	}
}
