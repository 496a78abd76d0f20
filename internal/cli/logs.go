package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/ferrycd/ferry/config"
)

// logLevelRank orders the levels of ferry's JSON logs (zap's names).
var logLevelRank = map[string]int{"debug": 0, "info": 1, "warn": 2, "error": 3, "dpanic": 4, "panic": 5, "fatal": 6}

// logFilter selects log lines.
type logFilter struct {
	kind, name, namespace, level string
	since                        time.Time
}

// logEntry is one JSON line of ferry's controller log, with the keys
// controller-runtime's zap logger writes, as Flux's controllers do.
type logEntry struct {
	TS             any    `json:"ts"`
	Level          string `json:"level"`
	Msg            string `json:"msg"`
	ControllerKind string `json:"controllerKind"`
	Name           string `json:"name"`
	Namespace      string `json:"namespace"`
	Error          string `json:"error"`
}

// time parses the entry's timestamp: RFC 3339 (ferry's, Flux's) or
// seconds since the epoch (zap's default).
func (e logEntry) time() (time.Time, bool) {
	switch ts := e.TS.(type) {
	case string:
		t, err := time.Parse(time.RFC3339Nano, ts)
		return t, err == nil
	case float64:
		sec := int64(ts)
		return time.Unix(sec, int64((ts-float64(sec))*1e9)).UTC(), true
	}
	return time.Time{}, false
}

// match reports whether the filter keeps the entry.
func (f *logFilter) match(e logEntry) bool {
	if f.kind != "" && !strings.EqualFold(f.kind, e.ControllerKind) {
		return false
	}
	if f.name != "" && f.name != e.Name {
		return false
	}
	if f.namespace != "" && f.namespace != e.Namespace {
		return false
	}
	if f.level != "" && logLevelRank[strings.ToLower(e.Level)] < logLevelRank[f.level] {
		return false
	}
	if !f.since.IsZero() {
		if t, ok := e.time(); !ok || t.Before(f.since) {
			return false
		}
	}
	return true
}

// format renders an entry as flux logs does: time, level, the object and
// the message (and error).
func (e logEntry) format() string {
	ts := fmt.Sprint(e.TS)
	if t, ok := e.time(); ok {
		ts = t.UTC().Format("2006-01-02T15:04:05.000Z")
	}
	object := "-"
	if e.ControllerKind != "" && e.Name != "" {
		object = e.ControllerKind + "/" + e.Name
		if e.Namespace != "" {
			object += "." + e.Namespace
		}
	}
	msg := e.Msg
	if e.Error != "" {
		msg += ": " + e.Error
	}
	return fmt.Sprintf("%s %s %s - %s", ts, e.Level, object, oneLine(msg))
}

// filterLogs copies the lines of r that the filter keeps to w, formatted,
// or as they are with raw. A line that is not JSON (console logs of
// `ferry controller --log-dev`) is kept only when nothing filters.
func filterLogs(r io.Reader, w io.Writer, f *logFilter, raw bool) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	unfiltered := *f == logFilter{}
	for sc.Scan() {
		text := sc.Text()
		var e logEntry
		if err := json.Unmarshal([]byte(text), &e); err != nil || e.Msg == "" {
			if unfiltered {
				fmt.Fprintln(w, text)
			}
			continue
		}
		if !f.match(e) {
			continue
		}
		if raw {
			fmt.Fprintln(w, text)
		} else {
			fmt.Fprintln(w, e.format())
		}
	}
	return sc.Err()
}

func newLogsCommand(g *globals) *cobra.Command {
	f := &logFilter{}
	var follow, raw, allNamespaces bool
	var since time.Duration
	var tail int64
	var file, ferryNamespace string
	cmd := &cobra.Command{
		Use:   "logs",
		Short: "Show the controller's logs, filtered by kind, name, namespace, level and time",
		Long: `Logs reads the logs of ferry's controller: by default those of the pods of
its Deployments in ferry-system (--ferry-namespace), every shard's; with
--file, a log a local 'ferry controller' wrote (- for standard input). Lines
are ferry's JSON logs, with the keys Flux's controllers write (ts, level,
msg, controllerKind, name, namespace); each shown as
'<time> <level> <Kind>/<name>.<namespace> - <message>'. --level shows that
level and those above it.`,
		Example: `  # Every error of the last hour
  ferry logs --level error --since 1h

  # One Kustomization's lines, as they come
  ferry logs --kind Kustomization --name apps -n flux-system -f

  # A local controller's log
  ferry controller 2> controller.log &
  ferry logs --file controller.log --kind HelmRelease`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.level != "" {
				f.level = strings.ToLower(f.level)
				if _, ok := logLevelRank[f.level]; !ok {
					return fmt.Errorf("--level %q: want debug, info or error", f.level)
				}
			}
			if fl := cmd.Flags().Lookup("namespace"); fl.Changed && !allNamespaces {
				f.namespace = g.namespace
			}
			if since > 0 {
				f.since = time.Now().Add(-since)
			}
			ctx := cmd.Context()
			if file != "" {
				return g.logsFromFile(ctx, file, f, follow, raw)
			}
			cfg, err := g.restConfig()
			if err != nil {
				return err
			}
			cs, err := kubernetes.NewForConfig(cfg)
			if err != nil {
				return fmt.Errorf("connecting to the cluster: %w", err)
			}
			opts := &corev1.PodLogOptions{Container: "manager", Follow: follow}
			if since > 0 {
				secs := int64(since.Seconds())
				opts.SinceSeconds = &secs
			}
			if tail >= 0 {
				opts.TailLines = &tail
			}
			return g.logsFromPods(ctx, cs, ferryNamespace, opts, f, raw)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.kind, "kind", "", "only lines of objects of this kind, e.g. Kustomization")
	fl.StringVar(&f.name, "name", "", "only lines of objects of this name")
	fl.StringVar(&f.level, "level", "", "only lines of this level and above: debug, info or error")
	fl.DurationVar(&since, "since", 0, "only lines newer than this, e.g. 1h")
	fl.Int64Var(&tail, "tail", -1, "only the last N lines of each pod")
	fl.BoolVarP(&follow, "follow", "f", false, "keep printing lines as they come")
	fl.BoolVar(&raw, "raw", false, "print the JSON lines as they are")
	fl.BoolVarP(&allNamespaces, "all-namespaces", "A", false, "lines of objects in every namespace (the default unless -n is given)")
	fl.StringVar(&file, "file", "", "read a local controller's log from this file (- for standard input) instead of the cluster")
	fl.StringVar(&ferryNamespace, "ferry-namespace", config.Namespace, "namespace ferry's controller runs in (flux logs calls it --flux-namespace)")
	fl.StringVar(&ferryNamespace, "flux-namespace", config.Namespace, "")
	_ = fl.MarkHidden("flux-namespace")
	return cmd
}

// logsFromFile filters a local log; with follow it keeps reading as the
// file grows, until ctx ends.
func (g *globals) logsFromFile(ctx context.Context, path string, f *logFilter, follow, raw bool) error {
	var r io.Reader = os.Stdin
	if path != "-" {
		file, err := os.Open(path)
		if err != nil {
			return fmt.Errorf("reading the log: %w", err)
		}
		defer file.Close()
		r = file
		if follow {
			r = &followReader{ctx: ctx, r: file}
		}
	}
	return filterLogs(r, g.out, f, raw)
}

// followReader reads a file that grows, as tail -f: at its end it waits
// for more until ctx ends.
type followReader struct {
	ctx context.Context
	r   io.Reader
}

func (fr *followReader) Read(p []byte) (int, error) {
	for {
		n, err := fr.r.Read(p)
		if n > 0 || !errors.Is(err, io.EOF) {
			return n, err
		}
		select {
		case <-fr.ctx.Done():
			return 0, io.EOF
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// logsFromPods streams the manager container's log of every pod of
// ferry's controller in namespace, filtered; lines of several pods
// interleave as they come.
func (g *globals) logsFromPods(ctx context.Context, cs kubernetes.Interface, namespace string, opts *corev1.PodLogOptions, f *logFilter, raw bool) error {
	pods, err := cs.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/name=ferry"})
	if err != nil {
		return fmt.Errorf("listing the pods of ferry's controller in %s: %w", namespace, err)
	}
	if len(pods.Items) == 0 {
		return fmt.Errorf("no pod of ferry's controller in namespace %s: is ferry installed there (--ferry-namespace)? For a local 'ferry controller', pass its log with --file", namespace)
	}
	sort.Slice(pods.Items, func(i, j int) bool { return pods.Items[i].Name < pods.Items[j].Name })
	var mu sync.Mutex
	out := &lockedWriter{mu: &mu, w: g.out}
	var wg sync.WaitGroup
	errs := make([]error, len(pods.Items))
	for i, pod := range pods.Items {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stream, err := cs.CoreV1().Pods(namespace).GetLogs(pod.Name, opts).Stream(ctx)
			if err != nil {
				errs[i] = fmt.Errorf("reading the log of pod %s/%s: %w", namespace, pod.Name, err)
				return
			}
			defer stream.Close()
			errs[i] = filterLogs(stream, out, f, raw)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// lockedWriter writes whole lines from several goroutines.
type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
