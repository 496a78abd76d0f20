package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/api/meta"
	notificationv1 "github.com/ferrycd/ferry/api/notification/v1"
	notificationv1beta3 "github.com/ferrycd/ferry/api/notification/v1beta3"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/gitserver"
)

// eventsPerRevision is what one Kustomization with wait: true records for
// a revision that changes its objects, as Flux's does: the change set,
// "Health check passed" and "Reconciliation finished".
const eventsPerRevision = 3

// NotificationOptions configures Notifications.
type NotificationOptions struct {
	// Count is how many Kustomizations there are (the shape of
	// Kustomizations: 4 objects each).
	Count int
	// Providers is how many Providers of type generic there are, each with
	// an Alert on every Kustomization.
	Providers int
	// EventsPerMinute is the rate of Kustomization events the commits
	// drive: a commit changes every app, so one comes every
	// 3 × Count / EventsPerMinute minutes.
	EventsPerMinute int
	// Duration is how long each run commits for.
	Duration time.Duration
	// ReplyDelay is how long the endpoint takes to answer a delivery.
	ReplyDelay time.Duration
	// Timeout bounds the first apply, and the wait for the last commit of
	// a run to be applied; zero means 30 minutes.
	Timeout time.Duration
	// Command, Env, ControllerArgs, ControllerLog and Progress are those of
	// Options.
	Command        []string
	Env            []string
	ControllerArgs []string
	ControllerLog  string
	Progress       io.Writer
}

// NotificationResult holds the figures of one run of Notifications.
type NotificationResult struct {
	Count           int           `json:"count"`
	Providers       int           `json:"providers"`
	EventsPerMinute int           `json:"eventsPerMinute"`
	CommitInterval  time.Duration `json:"commitIntervalNanoseconds"`
	ReplyDelay      time.Duration `json:"replyDelayNanoseconds"`
	// FirstApply is the time from creating the Kustomizations until all
	// were Ready.
	FirstApply time.Duration `json:"firstApplyNanoseconds"`
	// Runs are the run without Providers and Alerts, then the run with
	// them.
	Runs []FanOutRun `json:"runs"`
	// Machine facts, as in Result.
	CPUs       int    `json:"cpus"`
	LoadBefore string `json:"loadBefore"`
	LoadAfter  string `json:"loadAfter"`
	GoVersion  string `json:"goVersion"`
}

// FanOutRun is one run of commits at a steady rate.
type FanOutRun struct {
	// Alerts tells whether the Providers and Alerts existed.
	Alerts bool `json:"alerts"`
	// Commits is how many commits were made, each changing every app.
	Commits int `json:"commits"`
	// Latency is from each commit until all Kustomizations were Ready with
	// it (or a later one) applied.
	Latency Stats `json:"latency"`
	// Window is from the first commit until the last commit was applied
	// and, with Alerts, the last delivery arrived.
	Window time.Duration `json:"windowNanoseconds"`
	// Events is what the Kustomizations should have recorded
	// (3 × Count × Commits); ExpectedDeliveries is Events × Providers with
	// Alerts, else 0.
	Events             int `json:"events"`
	ExpectedDeliveries int `json:"expectedDeliveries"`
	// Deliveries is how many requests the endpoint answered; Duplicates
	// how many of them repeated one already received (same Provider,
	// Kustomization, reason and revision).
	Deliveries int `json:"deliveries"`
	Duplicates int `json:"duplicates"`
	// Reasons counts the deliveries by the event's reason.
	Reasons map[string]int `json:"reasons,omitempty"`
	// DeliveriesPerMinute is Deliveries over Window; EventsPerMinute the
	// same per Provider: events delivered per minute to each.
	DeliveriesPerMinute float64 `json:"deliveriesPerMinute"`
	EventsPerMinute     float64 `json:"eventsPerMinute"`
	// Drain is from the last commit applied until the last delivery.
	Drain time.Duration `json:"drainNanoseconds"`
	// The controller's resident memory (VmRSS) before the first commit,
	// after the run and the largest sampled every 250ms during it.
	RSSStart int64 `json:"rssStartBytes"`
	RSSEnd   int64 `json:"rssEndBytes"`
	RSSPeak  int64 `json:"rssPeakBytes"`
	// The controller's goroutines before, after, and the most sampled
	// every 5s.
	GoroutinesStart int `json:"goroutinesStart"`
	GoroutinesEnd   int `json:"goroutinesEnd"`
	GoroutinesPeak  int `json:"goroutinesPeak"`
	// CPU is the controller's CPU time during the run, in seconds.
	CPU        float64 `json:"cpuSeconds"`
	LoadBefore string  `json:"loadBefore"`
	LoadAfter  string  `json:"loadAfter"`
}

// Notifications measures the fan-out of events to Providers: opts.Count
// Kustomizations (the shape of Kustomizations) on one GitRepository, and
// opts.Providers Providers of type generic posting to an endpoint in this
// process that answers after opts.ReplyDelay, each with an Alert on every
// Kustomization (severity info). It commits a change to every app at a
// steady rate, requesting a reconcile of the GitRepository after each
// commit, for opts.Duration: first without Providers and Alerts, then
// with them. For each run it reports the deliveries per minute, the
// controller's memory, goroutines and CPU time, and the time from each
// commit until all Kustomizations applied it, so that the two runs show
// whether deliveries slow reconciles. Everything it starts is stopped
// before it returns.
func Notifications(ctx context.Context, opts NotificationOptions) (_ *NotificationResult, err error) {
	// Check the options and note the machine.
	if opts.Count < 1 || opts.Providers < 1 || opts.EventsPerMinute < 1 || opts.Duration <= 0 {
		return nil, errors.New("the count, the providers, the events per minute and the duration must be positive")
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 30 * time.Minute
	}
	interval := time.Duration(eventsPerRevision * opts.Count * int(time.Minute) / opts.EventsPerMinute)
	res := &NotificationResult{Count: opts.Count, Providers: opts.Providers, EventsPerMinute: opts.EventsPerMinute,
		CommitInterval: interval, ReplyDelay: opts.ReplyDelay,
		CPUs: runtime.NumCPU(), LoadBefore: loadAverage(), GoVersion: runtime.Version()}

	// Start the cluster and open the controller's log.
	env, err := startEnv(ctx, "ferry-bench-notifications-", opts.ControllerLog, opts.Progress)
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, env.close()) }()

	// Commit the manifests and serve them.
	env.say("► committing %d directories of 4 objects to a Git repository", opts.Count)
	server, _, err := serveManifests(filepath.Join(env.work, "git"), opts.Count, env.log)
	if err != nil {
		return nil, err
	}
	defer server.Close()
	repo := &gitserver.Repo{Dir: filepath.Join(server.Root(), sourceName)}

	// Start the endpoint of the Providers.
	sink, err := startSink(opts.ReplyDelay)
	if err != nil {
		return nil, err
	}
	defer sink.close()

	// Start the controller, with its profiles on a free port.
	metricsAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	ctrlOpts := Options{Command: opts.Command, Env: opts.Env, Progress: opts.Progress,
		ControllerArgs: append([]string{"--metrics-addr", metricsAddr, "--receiver-address", "0"}, opts.ControllerArgs...)}
	if err := env.startController(ctx, ctrlOpts); err != nil {
		return nil, err
	}
	defer func() { err = env.stopController(err) }()

	// Time the applies from watch events, then create the GitRepository
	// and the Kustomizations and wait for the first apply.
	applied := newRevisionClock(opts.Count, appliedRevision)
	if err := env.clock(ctx, &kustomizev1.Kustomization{}, applied); err != nil {
		return nil, err
	}
	r := env.run(ctrlOpts)
	if err := r.createSource(ctx, server.RepoURL(sourceName)); err != nil {
		return nil, err
	}
	head, err := repo.Head()
	if err != nil {
		return nil, err
	}
	applied.expect(head, 0)
	env.say("► creating %d Kustomizations and waiting until all are Ready", opts.Count)
	start := time.Now()
	if err := createKustomizations(ctx, r.c, opts.Count, ""); err != nil {
		return nil, err
	}
	done, err := applied.wait(ctx, 0, opts.Timeout, env.ctrl)
	if err != nil {
		return nil, fmt.Errorf("first apply: %w", err)
	}
	res.FirstApply = done.Sub(start)

	// Run without Providers and Alerts, then with them.
	f := &fanOut{run: r, opts: opts, interval: interval, repo: repo, applied: applied, sink: sink,
		goroutinesURL: "http://" + metricsAddr + "/debug/pprof/goroutine?debug=1"}
	for _, alerts := range []bool{false, true} {
		if alerts {
			if err := f.createAlerts(ctx); err != nil {
				return nil, err
			}
		}
		run, err := f.drive(ctx, alerts)
		if err != nil {
			return nil, err
		}
		res.Runs = append(res.Runs, *run)
	}
	res.LoadAfter = loadAverage()
	return res, nil
}

// fanOut is what the runs of Notifications share.
type fanOut struct {
	*run
	opts          NotificationOptions
	interval      time.Duration
	repo          *gitserver.Repo
	applied       *revisionClock
	sink          *sink
	goroutinesURL string
	// commits is the number of the last commit.
	commits int
}

// createAlerts creates the Providers, each with an Alert on every
// Kustomization, and waits until all are Ready.
func (f *fanOut) createAlerts(ctx context.Context) error {
	f.say("► creating %d Providers of type generic and their Alerts", f.opts.Providers)
	var objs []client.Object
	for i := range f.opts.Providers {
		name := fmt.Sprintf("sink-%02d", i)
		objs = append(objs, &notificationv1beta3.Provider{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: SourceNamespace},
			Spec:       notificationv1beta3.ProviderSpec{Type: notificationv1beta3.GenericProvider, Address: f.sink.url + "/" + name},
		}, &notificationv1beta3.Alert{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: SourceNamespace},
			Spec: notificationv1beta3.AlertSpec{
				ProviderRef:   meta.LocalObjectReference{Name: name},
				EventSeverity: notificationv1beta3.EventSeverityInfo,
				EventSources:  []notificationv1.CrossNamespaceObjectReference{{Kind: kustomizev1.KustomizationKind, Name: "*"}},
			},
		})
	}
	for _, o := range objs {
		if err := f.c.Create(ctx, o); err != nil {
			return fmt.Errorf("creating %T %s: %w", o, o.GetName(), err)
		}
	}
	return f.ctrl.waitFor(ctx, time.Minute, func() (bool, string, error) {
		for _, o := range objs {
			if err := f.watch.Get(ctx, client.ObjectKeyFromObject(o), o); err != nil {
				return false, o.GetName() + " is not in the cache yet", nil
			}
			conds := o.(interface{ GetConditions() []metav1.Condition }).GetConditions()
			if !apimeta.IsStatusConditionTrue(conds, meta.ReadyCondition) {
				return false, fmt.Sprintf("%T %s is not Ready", o, o.GetName()), nil
			}
		}
		return true, "", nil
	})
}

// drive commits a change to every app every interval for the duration,
// requesting a reconcile of the GitRepository after each, waits until
// the last is applied and, with alerts, delivered, and measures.
func (f *fanOut) drive(ctx context.Context, alerts bool) (*FanOutRun, error) {
	commits := max(1, int(f.opts.Duration/f.interval))
	what := "without Alerts"
	if alerts {
		what = fmt.Sprintf("with %d Alerts", f.opts.Providers)
	}
	f.say("► %s: %d commits, one every %s", what, commits, f.interval.Round(time.Millisecond))
	res := &FanOutRun{Alerts: alerts, Commits: commits, Events: eventsPerRevision * f.opts.Count * commits, LoadBefore: loadAverage()}
	if alerts {
		res.ExpectedDeliveries = res.Events * f.opts.Providers
	}

	// Note the controller's state, and sample it until the run ends.
	pid := f.ctrl.pid()
	_, res.RSSStart, _, _ = memoryOf(pid)
	res.GoroutinesStart, _ = goroutines(f.goroutinesURL)
	cpu0, _ := cpuSecondsOf(pid)
	delivered0 := f.sink.count()
	sampled := make(chan struct{})
	stopSampling := make(chan struct{})
	go func() {
		defer close(sampled)
		f.sample(res, stopSampling)
	}()

	// Commit at a steady rate.
	first := f.commits + 1
	committed := map[int]time.Time{}
	start := time.Now()
	for k := range commits {
		if wait := time.Until(start.Add(time.Duration(k) * f.interval)); wait > 0 {
			select {
			case <-time.After(wait):
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		n, at, err := f.commit(ctx)
		if err != nil {
			return nil, err
		}
		committed[n] = at
	}

	// Wait for the last commit, then for the deliveries.
	last, err := f.applied.wait(ctx, f.commits, f.opts.Timeout, f.ctrl)
	if err != nil {
		return nil, fmt.Errorf("commit %d: %w", f.commits, err)
	}
	end := last
	if alerts {
		f.say("  all applied; waiting for the deliveries")
		end = f.sink.drain(ctx, delivered0+res.ExpectedDeliveries)
		res.Drain = max(0, end.Sub(last))
	}
	close(stopSampling)
	<-sampled

	// Measure.
	var latencies []time.Duration
	for n := first; n <= f.commits; n++ {
		at, err := f.applied.wait(ctx, n, time.Second, f.ctrl)
		if err != nil {
			return nil, fmt.Errorf("commit %d: %w", n, err)
		}
		latencies = append(latencies, at.Sub(committed[n]))
	}
	res.Latency = summarize(latencies)
	res.Window = end.Sub(committed[first])
	res.Deliveries, res.Duplicates, res.Reasons = f.sink.countSince(delivered0)
	res.DeliveriesPerMinute = float64(res.Deliveries) / res.Window.Minutes()
	res.EventsPerMinute = res.DeliveriesPerMinute / float64(f.opts.Providers)
	_, res.RSSEnd, _, _ = memoryOf(pid)
	res.RSSPeak = max(res.RSSPeak, res.RSSStart, res.RSSEnd)
	res.GoroutinesEnd, _ = goroutines(f.goroutinesURL)
	res.GoroutinesPeak = max(res.GoroutinesPeak, res.GoroutinesStart, res.GoroutinesEnd)
	cpu, _ := cpuSecondsOf(pid)
	res.CPU = cpu - cpu0
	res.LoadAfter = loadAverage()
	f.say("✔ %s: commit → all applied median %s, p90 %s; %d deliveries (%.0f a minute)", what,
		res.Latency.Median.Round(time.Millisecond), res.Latency.P90.Round(time.Millisecond), res.Deliveries, res.DeliveriesPerMinute)
	return res, nil
}

// commit changes the ConfigMap of every app, commits, and requests a
// reconcile of the GitRepository. It returns the commit's number and when
// it was made.
func (f *fanOut) commit(ctx context.Context) (int, time.Time, error) {
	f.commits++
	n := f.commits
	files := Manifests(f.opts.Count)
	for name, content := range files {
		files[name] = strings.Replace(content, "greeting: hello", fmt.Sprintf("greeting: commit-%d", n), 1)
	}
	hash, err := f.repo.CommitFiles(fmt.Sprintf("commit %d", n), files)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("commit %d: %w", n, err)
	}
	at := time.Now()
	f.applied.expect(hash, n)
	patch := fmt.Appendf(nil, `{"metadata":{"annotations":{%q:%q}}}`, meta.ReconcileRequestAnnotation, at.Format(time.RFC3339Nano))
	gr := &sourcev1.GitRepository{ObjectMeta: metav1.ObjectMeta{Name: sourceName, Namespace: SourceNamespace}}
	if err := f.c.Patch(ctx, gr, client.RawPatch(types.MergePatchType, patch)); err != nil {
		return 0, time.Time{}, fmt.Errorf("requesting a reconcile of the GitRepository: %w", err)
	}
	return n, at, nil
}

// sample records the controller's largest VmRSS every 250ms and the most
// goroutines every 5s into res until stop is closed.
func (f *fanOut) sample(res *FanOutRun, stop <-chan struct{}) {
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		case <-f.ctrl.exited:
			return
		case <-t.C:
		}
		if _, rss, _, err := memoryOf(f.ctrl.pid()); err == nil {
			res.RSSPeak = max(res.RSSPeak, rss)
		}
		if i%20 == 19 {
			if n, err := goroutines(f.goroutinesURL); err == nil {
				res.GoroutinesPeak = max(res.GoroutinesPeak, n)
			}
		}
	}
}

// goroutines reads the controller's goroutine count from its goroutine
// profile ("goroutine profile: total 123").
func goroutines(url string) (int, error) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	if err != nil {
		return 0, fmt.Errorf("reading the goroutine profile: %w", err)
	}
	total, ok := strings.CutPrefix(strings.TrimSpace(line), "goroutine profile: total ")
	if !ok {
		return 0, fmt.Errorf("unexpected goroutine profile: %q", line)
	}
	return strconv.Atoi(total)
}

// sink is the Providers' endpoint: it answers every POST after a delay
// and keeps what it received.
type sink struct {
	url    string
	delay  time.Duration
	server *http.Server

	mu       sync.Mutex
	received []delivery
	last     time.Time
	changed  chan struct{}
}

// delivery is what identifies one event delivered to one Provider.
type delivery struct {
	provider, object, reason, revision string
}

func startSink(delay time.Duration) (*sink, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("starting the Providers' endpoint: %w", err)
	}
	s := &sink{url: "http://" + l.Addr().String(), delay: delay, changed: make(chan struct{})}
	s.server = &http.Server{Handler: http.HandlerFunc(s.serve), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.server.Serve(l) }()
	return s, nil
}

func (s *sink) serve(w http.ResponseWriter, r *http.Request) {
	var event struct {
		Reason         string `json:"reason"`
		InvolvedObject struct {
			Name string `json:"name"`
		} `json:"involvedObject"`
		Metadata map[string]string `json:"metadata"`
	}
	body, err := io.ReadAll(r.Body)
	if err == nil {
		err = json.Unmarshal(body, &event)
	}
	if err != nil {
		http.Error(w, "not an event", http.StatusBadRequest)
		return
	}
	time.Sleep(s.delay)
	s.mu.Lock()
	s.received = append(s.received, delivery{provider: r.URL.Path, object: event.InvolvedObject.Name,
		reason: event.Reason, revision: event.Metadata["revision"]})
	s.last = time.Now()
	close(s.changed)
	s.changed = make(chan struct{})
	s.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

func (s *sink) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.received)
}

// countSince counts the deliveries after the first from, those among
// them that repeat an earlier one, and each reason.
func (s *sink) countSince(from int) (n, duplicates int, reasons map[string]int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	seen := map[delivery]bool{}
	reasons = map[string]int{}
	for _, d := range s.received[from:] {
		if seen[d] {
			duplicates++
		}
		seen[d] = true
		reasons[d.reason]++
	}
	return len(s.received) - from, duplicates, reasons
}

// drain waits until want deliveries have arrived and none more for a
// while (to count any extra), or none at all for longer, and returns when
// the last arrived.
func (s *sink) drain(ctx context.Context, want int) time.Time {
	const settle, quiet = 2 * time.Second, 15 * time.Second
	for {
		s.mu.Lock()
		n, last, changed := len(s.received), s.last, s.changed
		s.mu.Unlock()
		wait := quiet
		if n >= want {
			wait = settle
		}
		select {
		case <-changed:
		case <-time.After(wait):
			return last
		case <-ctx.Done():
			return last
		}
	}
}

func (s *sink) close() {
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = s.server.Shutdown(shutdown)
}
