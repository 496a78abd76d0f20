package bench

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/api/meta"
	notificationv1 "github.com/ferrycd/ferry/api/notification/v1"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/gitserver"
	"github.com/ferrycd/ferry/internal/localcluster"
)

// pushBody is what the post-receive hook posts: the same for every push,
// so that the github Receiver's signature can be computed once.
const pushBody = `{"ref":"refs/heads/main"}`

// PushOptions configures Push.
type PushOptions struct {
	// Pushes is how many commits are pushed for each Receiver type.
	Pushes int
	// Gap is the least time between two pushes, so that the calls stay
	// within a Receiver's rate limit (1 per second after a burst of 10);
	// zero means one second.
	Gap time.Duration
	// NoGitHub leaves out the second series, through a github Receiver
	// with signed calls.
	NoGitHub bool
	// Timeout bounds the wait for one push to be applied; zero means a
	// minute.
	Timeout time.Duration
	// Command, Env, ControllerArgs, ControllerLog and Progress are those of
	// Options.
	Command        []string
	Env            []string
	ControllerArgs []string
	ControllerLog  string
	Progress       io.Writer
}

// PushResult holds the figures of one run of Push.
type PushResult struct {
	Pushes int `json:"pushes"`
	// Series has one entry per Receiver type: generic, then github.
	Series []PushSeries `json:"series"`
	// Machine facts, as in Result.
	CPUs       int    `json:"cpus"`
	LoadBefore string `json:"loadBefore"`
	LoadAfter  string `json:"loadAfter"`
	GoVersion  string `json:"goVersion"`
}

// PushSeries holds the pushes through one Receiver.
type PushSeries struct {
	// Receiver is the Receiver's type.
	Receiver string `json:"receiver"`
	// HookToApplied is from the post-receive hook firing until the
	// Kustomization is Ready with the pushed commit applied;
	// PushToApplied is from the start of `git push` until then.
	HookToApplied Stats `json:"hookToApplied"`
	PushToApplied Stats `json:"pushToApplied"`
	// The stages that add up to PushToApplied: `git push` until the hook
	// fires, the webhook call until it is answered (the GitRepository
	// annotated), the answer until the GitRepository's artifact has the
	// commit, and the artifact until the Kustomization applied it.
	PushToHook         Stats `json:"pushToHook"`
	HookToAnswered     Stats `json:"hookToAnswered"`
	AnsweredToArtifact Stats `json:"answeredToArtifact"`
	ArtifactToApplied  Stats `json:"artifactToApplied"`
	// Samples are the pushes, in order.
	Samples []PushSample `json:"samples"`
}

// PushSample is one push: when each step was seen.
type PushSample struct {
	Commit string `json:"commit"`
	// PushStart is when `git push` was started, PushEnd when it returned.
	PushStart time.Time `json:"pushStart"`
	PushEnd   time.Time `json:"pushEnd"`
	// Hook is when the post-receive hook made its call, Answered when the
	// Receiver answered it (with Code).
	Hook     time.Time `json:"hook"`
	Answered time.Time `json:"answered"`
	Code     string    `json:"code"`
	// Artifact is when the watch saw the GitRepository's artifact at the
	// commit, Applied when it saw the Kustomization Ready with it applied.
	Artifact time.Time `json:"artifact"`
	Applied  time.Time `json:"applied"`
}

// Stats summarizes durations.
type Stats struct {
	Median time.Duration `json:"medianNanoseconds"`
	P90    time.Duration `json:"p90Nanoseconds"`
	Min    time.Duration `json:"minNanoseconds"`
	Max    time.Duration `json:"maxNanoseconds"`
}

// Push measures how soon a `git push` is applied when the repository's
// post-receive hook calls a Receiver: a bare repository served by a real
// git http-backend that accepts pushes, holding one app directory (the
// four objects of Manifests(1)); a GitRepository and a Kustomization with
// interval 1h, so that only the Receiver makes them reconcile; and a
// Receiver of type generic (then one of type github, whose calls are
// signed) listing the GitRepository. The hook, a bash script, notes when
// it fires and posts to the Receiver's webhook path over bash's /dev/tcp.
// For each of opts.Pushes commits (a new value in the ConfigMap) it pushes
// from a clone, over smart HTTP, and waits until the Kustomization is
// Ready with the commit applied, as seen by a watch event handler.
// Everything it starts is stopped before it returns.
func Push(ctx context.Context, opts PushOptions) (_ *PushResult, err error) {
	// Check the options and note the machine.
	if opts.Pushes < 1 {
		return nil, errors.New("the count of pushes must be at least 1")
	}
	if opts.Gap <= 0 {
		opts.Gap = time.Second
	}
	if opts.Timeout <= 0 {
		opts.Timeout = time.Minute
	}
	bash, err := exec.LookPath("bash")
	if err != nil {
		return nil, fmt.Errorf("the post-receive hook needs bash: %w", err)
	}
	res := &PushResult{Pushes: opts.Pushes, CPUs: runtime.NumCPU(), LoadBefore: loadAverage(), GoVersion: runtime.Version()}

	// Start the cluster and open the controller's log.
	env, err := startEnv(ctx, "ferry-bench-push-", opts.ControllerLog, opts.Progress)
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, env.close()) }()

	// Create the bare repository, served with pushes allowed, and clone it.
	env.say("► creating a bare Git repository that accepts pushes, with one app directory")
	server, clone, err := servePushRepository(env.work, env.log)
	if err != nil {
		return nil, err
	}
	defer server.Close()

	// Start the controller with the Receiver server on a free port.
	receiverAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	ctrlOpts := Options{Command: opts.Command, Env: opts.Env, Progress: opts.Progress,
		ControllerArgs: append([]string{"--receiver-address", receiverAddr}, opts.ControllerArgs...)}
	if err := env.startController(ctx, ctrlOpts); err != nil {
		return nil, err
	}
	defer func() { err = env.stopController(err) }()

	// Time the artifact and the apply of every commit from watch events.
	artifacts := newRevisionClock(1, artifactRevision)
	applied := newRevisionClock(1, appliedRevision)
	if err := env.clock(ctx, &sourcev1.GitRepository{}, artifacts); err != nil {
		return nil, err
	}
	if err := env.clock(ctx, &kustomizev1.Kustomization{}, applied); err != nil {
		return nil, err
	}

	// Create the GitRepository and the Kustomization, and wait for the
	// first apply.
	r := env.run(ctrlOpts)
	if err := r.createSource(ctx, server.RepoURL(pushRepository)); err != nil {
		return nil, err
	}
	head, err := clone.Head()
	if err != nil {
		return nil, err
	}
	artifacts.expect(head, 0)
	applied.expect(head, 0)
	if err := createKustomizations(ctx, r.c, 1, ""); err != nil {
		return nil, err
	}
	env.say("► waiting for the first apply")
	if _, err := applied.wait(ctx, 0, 5*time.Minute, env.ctrl); err != nil {
		return nil, fmt.Errorf("first apply: %w", err)
	}

	// Create the Receivers and their Secret.
	token := rand.Text()
	if err := r.c.Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "receiver-token", Namespace: SourceNamespace},
		StringData: map[string]string{"token": token},
	}); err != nil {
		return nil, fmt.Errorf("creating the Receiver's Secret: %w", err)
	}
	types := []string{notificationv1.GenericReceiver}
	if !opts.NoGitHub {
		types = append(types, notificationv1.GitHubReceiver)
	}

	// Push through each Receiver in turn.
	timesPath := filepath.Join(env.work, "hook-times")
	hookPath := filepath.Join(server.Root(), pushRepository, "hooks", "post-receive")
	n := 0
	for _, typ := range types {
		path, err := r.createReceiver(ctx, typ)
		if err != nil {
			return nil, err
		}
		hook := postReceiveHook(bash, timesPath, receiverAddr, path, typ, token)
		if err := os.WriteFile(hookPath, []byte(hook), 0o755); err != nil {
			return nil, fmt.Errorf("installing the post-receive hook: %w", err)
		}
		env.say("► %d pushes through a Receiver of type %s", opts.Pushes, typ)
		series := PushSeries{Receiver: typ}
		for range opts.Pushes {
			n++
			s, err := r.push(ctx, clone, n, artifacts, applied, timesPath, opts)
			if err != nil {
				return nil, fmt.Errorf("push %d through the %s Receiver: %w", n, typ, err)
			}
			series.Samples = append(series.Samples, s)
			env.say("  push %d applied %s after the hook (%s after git push started)", n,
				s.Applied.Sub(s.Hook).Round(time.Millisecond), s.Applied.Sub(s.PushStart).Round(time.Millisecond))
			if wait := opts.Gap - time.Since(s.PushStart); wait > 0 {
				time.Sleep(wait)
			}
		}
		series.summarize()
		res.Series = append(res.Series, series)
	}
	res.LoadAfter = loadAverage()
	return res, nil
}

// pushRepository is the bare repository's path below the Git server's root.
const pushRepository = "bench.git"

// servePushRepository creates a bare repository holding Manifests(1)
// below work/git, serves it with pushes allowed, and clones it over HTTP
// into work/clone.
func servePushRepository(work string, stderr io.Writer) (*gitserver.Server, *gitserver.Repo, error) {
	root := filepath.Join(work, "git")
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, nil, err
	}
	seed, err := gitserver.InitRepo(filepath.Join(work, "seed"), "main")
	if err != nil {
		return nil, nil, fmt.Errorf("creating the Git repository: %w", err)
	}
	if _, err := seed.CommitFiles("benchmark manifests", Manifests(1)); err != nil {
		return nil, nil, fmt.Errorf("committing the manifests: %w", err)
	}
	server := gitserver.New(root)
	server.Stderr = stderr
	server.AllowPush = true
	if err := server.InitBareRepo(pushRepository, seed); err != nil {
		return nil, nil, err
	}
	if _, err := server.Start(); err != nil {
		return nil, nil, fmt.Errorf("starting the Git server: %w", err)
	}
	if _, err := gitserver.Git(work, "clone", "--quiet", "--branch", "main", server.RepoURL(pushRepository), "clone"); err != nil {
		server.Close()
		return nil, nil, fmt.Errorf("cloning over HTTP: %w", err)
	}
	return server, &gitserver.Repo{Dir: filepath.Join(work, "clone")}, nil
}

// postReceiveHook returns the bash script that, after every push, appends
// "<fired> <answered> <HTTP code>" (seconds since the epoch, microseconds)
// to times and posts pushBody to the webhook path on addr: unsigned for a
// generic Receiver, signed with token and with a new delivery id for a
// github one.
func postReceiveHook(bash, times, addr, path, typ, token string) string {
	host, port, _ := strings.Cut(addr, ":")
	headers := "Host: " + addr + `\r\nContent-Type: application/json\r\nContent-Length: ` +
		strconv.Itoa(len(pushBody)) + `\r\nConnection: close\r\n`
	args := `"$body"`
	if typ == notificationv1.GitHubReceiver {
		mac := hmac.New(sha256.New, []byte(token))
		mac.Write([]byte(pushBody))
		headers += `X-GitHub-Event: push\r\nX-GitHub-Delivery: ferry-bench-%s\r\nX-Hub-Signature-256: sha256=` +
			hex.EncodeToString(mac.Sum(nil)) + `\r\n`
		args = `"$fired" "$body"`
	}
	return `#!` + bash + `
# The post-receive hook of ferry's push benchmark: note when it fires, call
# the Receiver's webhook, note when it was answered.
while read -r _; do :; done
fired=$EPOCHREALTIME
body='` + pushBody + `'
if ! exec 3<>/dev/tcp/` + host + `/` + port + `; then
	echo "$fired $EPOCHREALTIME connect-failed" >>'` + times + `'
	exit 0
fi
printf 'POST ` + path + ` HTTP/1.1\r\n` + headers + `\r\n%s' ` + args + ` >&3
read -r _ code _ <&3
echo "$fired $EPOCHREALTIME $code" >>'` + times + `'
exec 3<&-
`
}

// createReceiver creates the Receiver of type typ for the GitRepository
// and returns its webhook path once it is Ready.
func (r *run) createReceiver(ctx context.Context, typ string) (string, error) {
	rcv := &notificationv1.Receiver{
		ObjectMeta: metav1.ObjectMeta{Name: "push-" + typ, Namespace: SourceNamespace},
		Spec: notificationv1.ReceiverSpec{
			Type:      typ,
			Resources: []notificationv1.CrossNamespaceObjectReference{{Kind: sourcev1.GitRepositoryKind, Name: sourceName}},
			SecretRef: meta.LocalObjectReference{Name: "receiver-token"},
		},
	}
	if typ == notificationv1.GitHubReceiver {
		rcv.Spec.Events = []string{"push"}
	}
	if err := r.c.Create(ctx, rcv); err != nil {
		return "", fmt.Errorf("creating the %s Receiver: %w", typ, err)
	}
	var path string
	err := r.ctrl.waitFor(ctx, time.Minute, func() (bool, string, error) {
		if err := r.watch.Get(ctx, client.ObjectKeyFromObject(rcv), rcv); err != nil {
			return false, "the Receiver is not in the cache yet", nil
		}
		path = rcv.Status.WebhookPath
		ready := apimeta.IsStatusConditionTrue(rcv.Status.Conditions, meta.ReadyCondition)
		return ready && path != "", "the Receiver is not Ready", nil
	})
	return path, err
}

// push commits a new value of the ConfigMap in the clone, pushes it, and
// waits until the Kustomization has applied it.
func (r *run) push(ctx context.Context, clone *gitserver.Repo, n int, artifacts, applied *revisionClock, timesPath string, opts PushOptions) (PushSample, error) {
	// Commit a change.
	files := Manifests(1)
	for name, content := range files {
		files[name] = strings.Replace(content, "greeting: hello", fmt.Sprintf("greeting: push-%d", n), 1)
	}
	commit, err := clone.CommitFiles(fmt.Sprintf("push %d", n), files)
	if err != nil {
		return PushSample{}, err
	}
	artifacts.expect(commit, n)
	applied.expect(commit, n)

	// Push it and wait for the apply.
	s := PushSample{Commit: commit, PushStart: time.Now()}
	if _, err := gitserver.Git(clone.Dir, "push", "--quiet", "origin", "main"); err != nil {
		return s, err
	}
	s.PushEnd = time.Now()
	if s.Applied, err = applied.wait(ctx, n, opts.Timeout, r.ctrl); err != nil {
		return s, fmt.Errorf("%w (hook: %s)", err, lastLine(timesPath))
	}
	// The artifact's event comes on another watch, a little later at worst.
	if s.Artifact, err = artifacts.wait(ctx, n, 10*time.Second, r.ctrl); err != nil {
		return s, fmt.Errorf("the GitRepository's artifact: %w", err)
	}

	// Read what the hook noted.
	f := strings.Fields(lastLine(timesPath))
	if len(f) != 3 {
		return s, fmt.Errorf("the post-receive hook noted %q", lastLine(timesPath))
	}
	s.Hook, s.Answered, s.Code = epochTime(f[0]), epochTime(f[1]), f[2]
	if s.Code != "200" {
		return s, fmt.Errorf("the Receiver answered the hook %s", s.Code)
	}
	return s, nil
}

// summarize fills the statistics from the samples.
func (s *PushSeries) summarize() {
	var hook, push, toHook, answered, artifact, apply []time.Duration
	for _, p := range s.Samples {
		hook = append(hook, p.Applied.Sub(p.Hook))
		push = append(push, p.Applied.Sub(p.PushStart))
		toHook = append(toHook, p.Hook.Sub(p.PushStart))
		answered = append(answered, p.Answered.Sub(p.Hook))
		artifact = append(artifact, p.Artifact.Sub(p.Answered))
		apply = append(apply, p.Applied.Sub(p.Artifact))
	}
	s.HookToApplied, s.PushToApplied = summarize(hook), summarize(push)
	s.PushToHook, s.HookToAnswered = summarize(toHook), summarize(answered)
	s.AnsweredToArtifact, s.ArtifactToApplied = summarize(artifact), summarize(apply)
}

// summarize returns the median, the 90th percentile (nearest rank), the
// least and the largest of ds.
func summarize(ds []time.Duration) Stats {
	if len(ds) == 0 {
		return Stats{}
	}
	s := slices.Sorted(slices.Values(ds))
	median := s[len(s)/2]
	if len(s)%2 == 0 {
		median = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	p90 := s[(len(s)*9+9)/10-1]
	return Stats{Median: median, P90: p90, Min: s[0], Max: s[len(s)-1]}
}

// epochTime parses bash's $EPOCHREALTIME ("1733100000.123456").
func epochTime(s string) time.Time {
	sec, frac, _ := strings.Cut(s, ".")
	secs, _ := strconv.ParseInt(sec, 10, 64)
	frac = (frac + "000000000")[:9]
	nanos, _ := strconv.ParseInt(frac, 10, 64)
	return time.Unix(secs, nanos)
}

// lastLine returns the last line of a file, or "" when it has none.
func lastLine(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	return lines[len(lines)-1]
}

// artifactRevision reads the revision of a source's artifact.
func artifactRevision(obj any) (string, string, bool) {
	src, ok := obj.(sourcev1.Source)
	if !ok || src.GetArtifact() == nil {
		return "", "", false
	}
	return src.GetName(), src.GetArtifact().Revision, true
}

// appliedRevision reads the revision a Kustomization applied, when it is
// Ready at its generation.
func appliedRevision(obj any) (string, string, bool) {
	k, ok := obj.(*kustomizev1.Kustomization)
	if !ok {
		return "", "", false
	}
	c := apimeta.FindStatusCondition(k.Status.Conditions, meta.ReadyCondition)
	if c == nil || c.Status != metav1.ConditionTrue || c.ObservedGeneration != k.Generation {
		return "", "", false
	}
	return k.Name, k.Status.LastAppliedRevision, true
}

// revisionClock notes, from a watch's event handler (so as soon as the
// API server tells), when objects reach the commits of a series: commit n
// is reached when want objects show it or a later one.
type revisionClock struct {
	want       int
	revisionOf func(obj any) (name, revision string, ok bool)

	mu      sync.Mutex
	numbers map[string]int    // commit hash → its number in the series
	current map[string]int    // object name → the latest number it shows
	reached map[int]time.Time // commit number → when want objects showed it
	changed chan struct{}     // closed, and replaced, on every change
}

func newRevisionClock(want int, revisionOf func(obj any) (string, string, bool)) *revisionClock {
	return &revisionClock{want: want, revisionOf: revisionOf, numbers: map[string]int{},
		current: map[string]int{}, reached: map[int]time.Time{}, changed: make(chan struct{})}
}

// expect names commit number n of the series; do so before anything can
// show it.
func (c *revisionClock) expect(commit string, n int) {
	c.mu.Lock()
	c.numbers[commit] = n
	c.mu.Unlock()
}

// observe is the event handler: it notes what obj shows.
func (c *revisionClock) observe(obj any) {
	now := time.Now()
	name, revision, ok := c.revisionOf(obj)
	if !ok {
		return
	}
	// "main@sha1:<hash>": the commit is what follows the last colon.
	commit := revision[strings.LastIndexByte(revision, ':')+1:]
	c.mu.Lock()
	defer c.mu.Unlock()
	n, known := c.numbers[commit]
	if cur, seen := c.current[name]; !known || (seen && cur >= n) {
		return
	}
	c.current[name] = n
	if len(c.current) < c.want {
		return
	}
	least := n
	for _, cur := range c.current {
		least = min(least, cur)
	}
	for k := least; k >= 0; k-- {
		if _, done := c.reached[k]; done {
			break
		}
		c.reached[k] = now
	}
	close(c.changed)
	c.changed = make(chan struct{})
}

// wait waits until commit n is reached, the timeout passes, ctx ends or
// the controller exits, and returns when it was reached.
func (c *revisionClock) wait(ctx context.Context, n int, timeout time.Duration, ctrl *controllerProcess) (time.Time, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		c.mu.Lock()
		t, ok := c.reached[n]
		changed, done := c.changed, len(c.current)
		behind := 0
		for _, cur := range c.current {
			if cur < n {
				behind++
			}
		}
		c.mu.Unlock()
		if ok {
			return t, nil
		}
		state := fmt.Sprintf("%d of %d objects show commit %d", done-behind, c.want, n)
		select {
		case <-changed:
		case <-ctx.Done():
			return time.Time{}, fmt.Errorf("interrupted (%s): %w", state, ctx.Err())
		case <-ctrl.exited:
			return time.Time{}, fmt.Errorf("ferry controller exited (%s): %v", state, ctrl.err)
		case <-deadline.C:
			return time.Time{}, fmt.Errorf("timed out after %s: %s", timeout, state)
		}
	}
}

// benchEnv is what a benchmark runs in: a working directory, the
// simulated cluster, the controller's log, the controller and a watch of
// the source namespace.
type benchEnv struct {
	work       string
	kubeconfig string
	cluster    *localcluster.Cluster
	logPath    string
	log        *os.File
	ctrl       *controllerProcess
	watch      cache.Cache
	stopWatch  context.CancelFunc
	say        func(format string, args ...any)
}

// startEnv creates the working directory, starts the simulated cluster,
// creates the namespaces and opens the controller's log (at logPath when
// set, which is kept). close undoes it all.
func startEnv(ctx context.Context, prefix, logPath string, progress io.Writer) (_ *benchEnv, err error) {
	if progress == nil {
		progress = io.Discard
	}
	e := &benchEnv{say: func(format string, args ...any) { fmt.Fprintf(progress, format+"\n", args...) }}
	if e.work, err = os.MkdirTemp("", prefix); err != nil {
		return nil, fmt.Errorf("creating the benchmark directory: %w", err)
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, e.close())
		}
	}()
	e.say("► starting the local simulated cluster")
	e.kubeconfig = filepath.Join(e.work, "kubeconfig")
	if e.cluster, err = localcluster.Start(ctx, localcluster.Options{Kubeconfig: e.kubeconfig, Progress: progress}); err != nil {
		return nil, fmt.Errorf("starting the simulated cluster: %w", err)
	}
	if err := createNamespaces(ctx, e.cluster.Client); err != nil {
		return nil, err
	}
	e.logPath = logPath
	if e.logPath == "" {
		e.logPath = filepath.Join(e.work, "controller.log")
	}
	if e.log, err = os.Create(e.logPath); err != nil {
		return nil, fmt.Errorf("creating the controller log: %w", err)
	}
	watchCtx, stop := context.WithCancel(ctx)
	e.stopWatch = stop
	if e.watch, err = startWatch(watchCtx, e.cluster.Config); err != nil {
		return nil, err
	}
	return e, nil
}

// startController starts `ferry controller` with opts.
func (e *benchEnv) startController(_ context.Context, opts Options) error {
	e.say("► starting ferry controller")
	var err error
	e.ctrl, err = startController(opts, e.kubeconfig, filepath.Join(e.work, "artifacts"), e.log)
	return err
}

// stopController stops the controller and adds the end of its log to a
// failure.
func (e *benchEnv) stopController(err error) error {
	if stopErr := e.ctrl.stop(); stopErr != nil {
		err = errors.Join(err, stopErr)
	}
	if err != nil {
		err = fmt.Errorf("%w\ncontroller log (last lines):\n%s", err, tail(e.logPath, 15))
	}
	return err
}

// clock has c observe every object of obj's kind in the watch.
func (e *benchEnv) clock(ctx context.Context, obj client.Object, c *revisionClock) error {
	return clockKind(ctx, e.watch, obj, c)
}

// clockKind has c observe every object of obj's kind in watch.
func clockKind(ctx context.Context, watch cache.Cache, obj client.Object, c *revisionClock) error {
	inf, err := watch.GetInformer(ctx, obj)
	if err != nil {
		return fmt.Errorf("watching %T: %w", obj, err)
	}
	if _, err := inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc:    c.observe,
		UpdateFunc: func(_, obj any) { c.observe(obj) },
	}); err != nil {
		return fmt.Errorf("watching %T: %w", obj, err)
	}
	return nil
}

// run returns the run of the Kustomization benchmark's steps in e.
func (e *benchEnv) run(opts Options) *run {
	return &run{opts: opts, say: e.say, c: e.cluster.Client, cfg: e.cluster.Config, watch: e.watch, ctrl: e.ctrl}
}

// close stops the watch and the cluster, and removes the working
// directory.
func (e *benchEnv) close() error {
	var err error
	if e.stopWatch != nil {
		e.stopWatch()
	}
	if e.log != nil {
		e.log.Close()
	}
	if e.cluster != nil {
		if stopErr := e.cluster.Stop(); stopErr != nil {
			err = fmt.Errorf("stopping the simulated cluster: %w", stopErr)
		}
	}
	return errors.Join(err, os.RemoveAll(e.work))
}

// freeAddr returns a loopback address with a port free at the moment.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}
