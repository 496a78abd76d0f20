package notification

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	notificationv1beta3 "github.com/ferrycd/ferry/api/notification/v1beta3"
	"github.com/ferrycd/ferry/internal/events"
	"github.com/ferrycd/ferry/internal/notifier"
)

// Defaults of a Dispatcher's delivery.
const (
	// DefaultMaxAttempts is how many times one notification is posted
	// before it is given up (Flux retries 4 times).
	DefaultMaxAttempts = 5
	// DefaultMinBackoff and DefaultMaxBackoff bound the wait between two
	// attempts, doubling from the first (Flux's 2–30 s).
	DefaultMinBackoff = 2 * time.Second
	DefaultMaxBackoff = 30 * time.Second
	// DefaultQueueSize is how many notifications wait for one Provider;
	// past it new ones are dropped (and counted), never the reconcile.
	DefaultQueueSize = 1000
	// busBuffer is how many events wait for the dispatcher on the bus.
	busBuffer = 8192
	// workerIdle is how long a Provider's delivery goroutine lingers
	// without work.
	workerIdle = 2 * time.Minute
)

// Config tunes a Dispatcher; its zero value is Flux's behaviour.
type Config struct {
	// RateLimitInterval is how long an event suppresses identical ones;
	// zero means DefaultRateLimitInterval, negative none.
	RateLimitInterval time.Duration
	// MaxAttempts, MinBackoff and MaxBackoff shape the retries of one
	// delivery; zero means the defaults.
	MaxAttempts int
	MinBackoff  time.Duration
	MaxBackoff  time.Duration
	// QueueSize bounds the notifications waiting for one Provider; zero
	// means DefaultQueueSize.
	QueueSize int
}

// Dispatcher matches the events on a bus against the Alerts and delivers
// them to their Providers. It is a manager Runnable that runs on the
// leader only (the leader is where events are recorded).
type Dispatcher struct {
	// Client reads Alerts, Providers, their Secrets and the involved
	// objects (the manager's cached client); it patches Provider statuses.
	Client client.Client
	// Bus is where the controllers publish their events.
	Bus *events.Bus
	// Events records the dispatcher's own events (a notification given
	// up) on the Alert.
	Events *events.Recorder
	// Log receives what the dispatcher does; never a secret value.
	Log    logr.Logger
	Config Config
	// NoCrossNamespaceRefs ignores Alerts whose eventSources name another
	// namespace, as --no-cross-namespace-refs does.
	NoCrossNamespaceRefs bool
	// DispatchLog, when set, records what becomes of each event an Alert
	// names, for the web UI.
	DispatchLog *DispatchLog

	limiter    *limiter
	deliveries *deliveryLog

	mu      sync.Mutex
	workers map[types.NamespacedName]*worker
	clients map[types.NamespacedName]*cachedNotifier
	wg      sync.WaitGroup
}

// job is one notification for one Provider.
type job struct {
	alert    *notificationv1beta3.Alert
	provider types.NamespacedName
	event    events.Event
	// commitStatusUpdate is the event's commit_status: update marker,
	// which enrich leaves out of the metadata.
	commitStatusUpdate bool
	// outcome is the job's entry in the dispatch log; nil without one.
	outcome *AlertOutcome
}

type worker struct {
	jobs chan job
}

type cachedNotifier struct {
	version string
	n       notifier.Notifier
	secrets []string
}

// NeedLeaderElection reports that only the leader delivers.
func (d *Dispatcher) NeedLeaderElection() bool { return true }

// Start subscribes to the bus and dispatches until ctx is done, then
// waits for the deliveries in flight.
func (d *Dispatcher) Start(ctx context.Context) error {
	if d.Client == nil || d.Bus == nil {
		return errors.New("notification dispatcher: a client and a bus are required")
	}
	d.init()
	ch, cancel := d.Bus.Subscribe(busBuffer)
	defer cancel()
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		d.deliveries.flushLoop(ctx, d.Client, d.Log)
	}()
	for {
		select {
		case <-ctx.Done():
			d.wg.Wait()
			return nil
		case e, ok := <-ch:
			if !ok {
				d.wg.Wait()
				return nil
			}
			d.dispatch(ctx, *e)
		}
	}
}

func (d *Dispatcher) init() {
	interval := d.Config.RateLimitInterval
	if interval == 0 {
		interval = DefaultRateLimitInterval
	}
	d.limiter = newLimiter(interval)
	d.deliveries = newDeliveryLog()
	d.workers = map[types.NamespacedName]*worker{}
	d.clients = map[types.NamespacedName]*cachedNotifier{}
	if d.Config.MaxAttempts <= 0 {
		d.Config.MaxAttempts = DefaultMaxAttempts
	}
	if d.Config.MinBackoff <= 0 {
		d.Config.MinBackoff = DefaultMinBackoff
	}
	if d.Config.MaxBackoff <= 0 {
		d.Config.MaxBackoff = DefaultMaxBackoff
	}
	if d.Config.QueueSize <= 0 {
		d.Config.QueueSize = DefaultQueueSize
	}
}

// dispatch hands e to the Provider of every Alert that matches it.
func (d *Dispatcher) dispatch(ctx context.Context, e events.Event) {
	if e.Severity == events.SeverityTrace {
		return
	}
	alerts := &notificationv1beta3.AlertList{}
	if err := d.Client.List(ctx, alerts); err != nil {
		d.Log.Error(err, "listing Alerts; the event is not notified", "object", objectRef(&e), "reason", e.Reason)
		return
	}
	// The Alerts whose eventSources name the object are concerned; those
	// not suspended are candidates.
	var named, candidates []*notificationv1beta3.Alert
	for i := range alerts.Items {
		a := &alerts.Items[i]
		if !needsObject(a, &e) {
			continue
		}
		named = append(named, a)
		if !inactive(a) {
			candidates = append(candidates, a)
		}
	}
	if len(named) == 0 {
		return
	}
	dec := d.DispatchLog.begin(&e)
	record := func(a *notificationv1beta3.Alert, outcome, rule string) *AlertOutcome {
		return d.DispatchLog.outcome(dec, types.NamespacedName{Namespace: a.Namespace, Name: a.Name}, a.Spec.ProviderRef.Name, outcome, rule)
	}
	if len(candidates) == 0 {
		for _, a := range named {
			record(a, OutcomeExcluded, RuleSuspended)
		}
		return
	}
	if !d.limiter.allow(&e) {
		suppressed.Inc()
		for _, a := range named {
			if inactive(a) {
				record(a, OutcomeExcluded, RuleSuspended)
			} else {
				record(a, OutcomeSuppressed, "")
			}
		}
		return
	}
	var meta *objectMeta
	if needsLabels(candidates) {
		meta = d.objectMeta(ctx, &e)
	}
	for _, a := range named {
		if inactive(a) {
			record(a, OutcomeExcluded, RuleSuspended)
			continue
		}
		// What the Alert controller stalls an Alert for, the dispatcher
		// refuses too.
		if ValidateAlert(a) != nil {
			record(a, OutcomeExcluded, RuleInvalid)
			continue
		}
		if d.NoCrossNamespaceRefs && crossNamespace(a) {
			record(a, OutcomeExcluded, RuleCrossNamespace)
			continue
		}
		f, err := compileFilters(a)
		if err != nil {
			record(a, OutcomeExcluded, RuleInvalid)
			continue
		}
		if rule := mismatch(a, f, &e, meta); rule != "" {
			record(a, OutcomeExcluded, rule)
			continue
		}
		d.enqueue(ctx, job{
			alert:              a,
			provider:           types.NamespacedName{Namespace: a.Namespace, Name: a.Spec.ProviderRef.Name},
			event:              enrich(a, e),
			commitStatusUpdate: e.Metadata[events.MetaCommitStatus] == events.CommitStatusUpdate,
			outcome:            record(a, OutcomeMatched, ""),
		})
	}
}

// inactive reports whether an Alert takes no events: suspended, or being
// deleted.
func inactive(a *notificationv1beta3.Alert) bool {
	return a.Spec.Suspend || !a.DeletionTimestamp.IsZero()
}

// crossNamespace reports whether an eventSources entry of a names another
// namespace than the Alert's.
func crossNamespace(a *notificationv1beta3.Alert) bool {
	for _, src := range a.Spec.EventSources {
		if src.Namespace != "" && src.Namespace != a.Namespace {
			return true
		}
	}
	return false
}

// objectMeta reads the labels of the involved object from the cache, or
// returns nil when it cannot.
func (d *Dispatcher) objectMeta(ctx context.Context, e *events.Event) *objectMeta {
	gv, err := schema.ParseGroupVersion(e.InvolvedObject.APIVersion)
	if err != nil {
		return nil
	}
	o, err := d.Client.Scheme().New(gv.WithKind(e.InvolvedObject.Kind))
	if err != nil {
		return nil
	}
	obj, ok := o.(client.Object)
	if !ok {
		return nil
	}
	if err := d.Client.Get(ctx, client.ObjectKey{Namespace: e.InvolvedObject.Namespace, Name: e.InvolvedObject.Name}, obj); err != nil {
		return nil
	}
	return &objectMeta{labels: obj.GetLabels()}
}

// needsLabels reports whether an Alert selects by labels, which only the
// involved object has.
func needsLabels(alerts []*notificationv1beta3.Alert) bool {
	for _, a := range alerts {
		for _, src := range a.Spec.EventSources {
			if len(src.MatchLabels) > 0 {
				return true
			}
		}
	}
	return false
}

// enqueue queues j for its Provider's worker, starting it if needed. A full
// queue drops the notification: the bus and the reconciles never wait.
func (d *Dispatcher) enqueue(ctx context.Context, j job) {
	d.mu.Lock()
	defer d.mu.Unlock()
	w, ok := d.workers[j.provider]
	if !ok {
		w = &worker{jobs: make(chan job, d.Config.QueueSize)}
		d.workers[j.provider] = w
		d.wg.Add(1)
		go func() {
			defer d.wg.Done()
			d.work(ctx, j.provider, w)
		}()
	}
	select {
	case w.jobs <- j:
		queued.Inc()
	default:
		dropped.Inc()
		d.deliveries.record(j.provider, j, resultDropped, 0, "the Provider's queue is full")
		d.DispatchLog.update(j.outcome, func(o *AlertOutcome) {
			o.Outcome = OutcomeDropped
			o.Delivery = Delivery{Result: resultDropped, Error: "the Provider's queue is full"}
		})
		d.Log.Info("notification dropped: the Provider's queue is full", "provider", j.provider.String(), "alert", j.alert.Name, "object", objectRef(&j.event))
	}
}

// work delivers the jobs of one Provider in order until ctx is done or it
// has been idle for workerIdle.
func (d *Dispatcher) work(ctx context.Context, provider types.NamespacedName, w *worker) {
	idle := time.NewTimer(workerIdle)
	defer idle.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case j := <-w.jobs:
			queued.Dec()
			d.deliver(ctx, j)
			idle.Reset(workerIdle)
		case <-idle.C:
			d.mu.Lock()
			if len(w.jobs) == 0 {
				delete(d.workers, provider)
				delete(d.clients, provider)
				d.mu.Unlock()
				return
			}
			d.mu.Unlock()
			idle.Reset(workerIdle)
		}
	}
}

// deliver posts one notification, retrying what may succeed later, and
// records the outcome.
func (d *Dispatcher) deliver(ctx context.Context, j job) {
	log := d.Log.WithValues("provider", j.provider.String(), "alert", j.alert.Namespace+"/"+j.alert.Name, "object", objectRef(&j.event), "reason", j.event.Reason)
	backoff := d.Config.MinBackoff
	var lastErr error
	var secrets []string
	attempt := 0
	for attempt < d.Config.MaxAttempts {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, d.Config.MaxBackoff)
		}
		attempt++
		n, p, s, err := d.notifierFor(ctx, j)
		secrets = s
		code := 0
		switch {
		case err == nil && p == nil:
			d.skipped(j, "the Provider is suspended")
			return
		case err == nil && !wants(p, &j):
			d.skipped(j, "a commit-status Provider takes failures and the end of a reconciliation only")
			return
		case err == nil:
			start := time.Now()
			err = n.Post(notifier.WithStatus(ctx, &code), j.event)
			deliveryDuration.WithLabelValues(p.Spec.Type).Observe(time.Since(start).Seconds())
			if err == nil {
				delivered.WithLabelValues(p.Spec.Type, resultDelivered).Inc()
				d.deliveries.record(j.provider, j, resultDelivered, attempt, "")
				d.attempted(j, resultDelivered, attempt, code, "")
				log.V(1).Info("notification delivered", "attempt", attempt)
				return
			}
		}
		lastErr = err
		d.attempted(j, DeliveryRetrying, attempt, code, redact(err.Error(), secrets))
		if !notifier.Retryable(err) || errors.Is(err, errProviderNotFound) {
			break
		}
		log.Info("notification not delivered, retrying", "attempt", attempt, "error", redact(err.Error(), secrets))
	}
	if ctx.Err() != nil {
		return
	}
	msg := redact(lastErr.Error(), secrets)
	delivered.WithLabelValues(providerType(ctx, d.Client, j.provider), resultFailed).Inc()
	d.deliveries.record(j.provider, j, resultFailed, attempt, msg)
	d.DispatchLog.update(j.outcome, func(o *AlertOutcome) { o.Delivery.Result = resultFailed })
	log.Info("notification given up", "attempts", attempt, "error", msg)
	d.Events.Warning(j.alert, "NotificationFailed",
		fmt.Sprintf("notification of %s (%s) to Provider '%s' given up after %d attempt(s): %s", objectRef(&j.event), j.event.Reason, j.provider.Name, attempt, msg), nil)
}

// attempted records an attempt of j in the dispatch log: the result so
// far, the answer's status code and the redacted error.
func (d *Dispatcher) attempted(j job, result string, attempts, code int, msg string) {
	d.DispatchLog.update(j.outcome, func(o *AlertOutcome) {
		o.Delivery.Result, o.Delivery.Attempts, o.Delivery.StatusCode, o.Delivery.Error = result, attempts, code, msg
	})
}

// skipped records in the dispatch log that j was not sent, and why.
func (d *Dispatcher) skipped(j job, why string) {
	d.DispatchLog.update(j.outcome, func(o *AlertOutcome) {
		o.Delivery.Result, o.Delivery.Error = DeliverySkipped, why
	})
}

// commitStatusTypes are the Provider types that set a commit status.
var commitStatusTypes = map[string]bool{
	"github": true, "gitlab": true, "gitea": true, "bitbucket": true, "bitbucketserver": true, "azuredevops": true,
}

// wants reports whether Provider p takes j's event. A commit status
// reports how the reconciliation of a commit ended, so it takes failures
// and the one success the controllers mark with commit_status: update
// ("Reconciliation finished"), not every info event about the commit (a
// change set, a dependency not ready yet, a new artifact).
func wants(p *notificationv1beta3.Provider, j *job) bool {
	if !commitStatusTypes[p.Spec.Type] {
		return true
	}
	return j.event.Severity == events.SeverityError || j.commitStatusUpdate
}

var errProviderNotFound = errors.New("provider not found")

// notifierFor returns the Notifier of j's Provider, built again only when
// the Provider or one of its Secrets changed, with the secret values to
// redact. A suspended Provider returns nil and no error.
func (d *Dispatcher) notifierFor(ctx context.Context, j job) (notifier.Notifier, *notificationv1beta3.Provider, []string, error) {
	p := &notificationv1beta3.Provider{}
	if err := d.Client.Get(ctx, j.provider, p); err != nil {
		if client.IgnoreNotFound(err) == nil {
			return nil, nil, nil, fmt.Errorf("%w: Provider '%s' does not exist", errProviderNotFound, j.provider)
		}
		return nil, nil, nil, err
	}
	if p.Spec.Suspend {
		return nil, nil, nil, nil
	}
	o, version, err := resolve(ctx, d.Client, p)
	if err != nil {
		return nil, p, secretValues(o), err
	}
	if p.Spec.CommitStatusExpr != "" {
		o.CommitStatus, err = commitStatus(ctx, p, j.alert, j.event)
		if err != nil {
			return nil, p, secretValues(o), notifier.Permanent(err)
		}
		version += "/" + o.CommitStatus
	}
	d.mu.Lock()
	c, ok := d.clients[j.provider]
	d.mu.Unlock()
	if ok && c.version == version {
		return c.n, p, c.secrets, nil
	}
	n, err := notifier.New(o)
	if err != nil {
		return nil, p, secretValues(o), notifier.Permanent(err)
	}
	c = &cachedNotifier{version: version, n: n, secrets: secretValues(o)}
	d.mu.Lock()
	d.clients[j.provider] = c
	d.mu.Unlock()
	return n, p, c.secrets, nil
}

func providerType(ctx context.Context, c client.Reader, key types.NamespacedName) string {
	p := &notificationv1beta3.Provider{}
	if err := c.Get(ctx, key, p); err != nil {
		return "unknown"
	}
	return p.Spec.Type
}

// objectRef names the involved object of e as Kind/namespace/name.
func objectRef(e *events.Event) string {
	o := e.InvolvedObject
	return o.Kind + "/" + o.Namespace + "/" + o.Name
}
