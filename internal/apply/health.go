package apply

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fluxcd/cli-utils/pkg/kstatus/polling/engine"
	"github.com/fluxcd/cli-utils/pkg/kstatus/polling/event"
	"github.com/fluxcd/cli-utils/pkg/kstatus/polling/statusreaders"
	"github.com/fluxcd/cli-utils/pkg/kstatus/status"
	"github.com/fluxcd/cli-utils/pkg/object"
	"github.com/fluxcd/pkg/ssa/utils"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"
)

// A health check waits until a set of objects is ready per kstatus (or the
// custom status readers of spec.healthCheckExprs), as fluxcd/pkg/ssa's
// WaitForSet does and with its messages, but without holding the caller
// while it waits: HealthCheck reads every object once, directly; when some
// are still in progress, a Watcher goes on from the shared informers of
// their kinds (no request per poll) and calls back when the check ends.
//
// An object seen Current is not read again within one check (a Deployment
// whose rollout completed stays done for that check); Failed ends the
// check at once (fail fast); the deadline ends it with the objects not yet
// Current.

// HealthCheck is one health check in progress.
type HealthCheck struct {
	set     object.ObjMetadataSet
	readers []engine.StatusReader
	jobsTTL object.ObjMetadataSet

	mu   sync.Mutex
	last map[object.ObjMetadata]*event.ResourceStatus
	// floor is the generation each object had at the first, direct read:
	// an informer's copy older than that is stale, not an answer.
	floor map[object.ObjMetadata]int64
}

// CheckHealth reads every object of set once from the cluster and returns
// the check, whether it is over and, when it is, its error.
func (m *Manager) CheckHealth(ctx context.Context, set object.ObjMetadataSet, opts WaitOptions) (*HealthCheck, bool, error) {
	mapper := m.c.RESTMapper()
	readers := append(slices.Clone(opts.StatusReaders), newDeploymentStatusReader(mapper), statusreaders.NewDefaultStatusReader(mapper))
	hc := &HealthCheck{set: set, readers: readers, jobsTTL: opts.JobsWithTTL,
		last: map[object.ObjMetadata]*event.ResourceStatus{}, floor: map[object.ObjMetadata]int64{}}
	direct := &prefetchReader{reader: m.c, mapper: mapper, ids: set}
	done, err := hc.Evaluate(ctx, direct)
	direct.mu.Lock()
	for id, f := range direct.fetched {
		if f.err == nil {
			hc.floor[id] = f.obj.GetGeneration()
		}
	}
	direct.mu.Unlock()
	return hc, done, err
}

// Direct returns a reader that reads hc's objects from the cluster through
// c, a GET per object and evaluation, to Watch a check that the shared
// informers must not answer (another cluster, or rights narrower than
// ferry's).
func (m *Manager) Direct(hc *HealthCheck) engine.ClusterReader {
	return &prefetchReader{reader: m.c, mapper: m.c.RESTMapper(), ids: hc.pending()}
}

// pending returns the objects not yet seen Current.
func (hc *HealthCheck) pending() object.ObjMetadataSet {
	hc.mu.Lock()
	defer hc.mu.Unlock()
	var out object.ObjMetadataSet
	for _, id := range hc.set {
		if rs := hc.last[id]; rs == nil || rs.Status != status.CurrentStatus {
			out = append(out, id)
		}
	}
	return out
}

// Evaluate reads the objects not yet seen Current through reader and
// reports whether the check is over, and its error: nil when every object
// is Current (a Job with a TTL may be gone), "failed early due to stalled
// resources" when one is Failed.
func (hc *HealthCheck) Evaluate(ctx context.Context, reader engine.ClusterReader) (bool, error) {
	if err := reader.Sync(ctx); err != nil {
		return false, nil // the objects are read one by one below
	}
	for _, id := range hc.pending() {
		rs, err := hc.readerFor(id.GroupKind).ReadStatus(ctx, reader, id)
		if err != nil {
			rs = &event.ResourceStatus{Identifier: id, Status: status.UnknownStatus, Error: err}
		}
		rs.Resource, rs.GeneratedResources = nil, nil // only the status is kept
		hc.mu.Lock()
		hc.last[id] = rs
		hc.mu.Unlock()
	}
	hc.mu.Lock()
	defer hc.mu.Unlock()
	current, failed := 0, false
	for _, id := range hc.set {
		switch s := hc.last[id].Status; {
		case s == status.CurrentStatus, s == status.NotFoundStatus && hc.jobsTTL.Contains(id):
			current++
		case s == status.FailedStatus:
			failed = true
		}
	}
	switch {
	case current == len(hc.set):
		return true, nil
	case failed:
		return true, hc.errorLocked("failed early due to stalled resources", false)
	}
	return false, nil
}

// TimeoutError is the error of a check whose deadline passed.
func (hc *HealthCheck) TimeoutError() error {
	hc.mu.Lock()
	defer hc.mu.Unlock()
	return hc.errorLocked("timeout waiting for", true)
}

// errorLocked lists the objects that failed (and, at the deadline, those
// not Current) as fluxcd/pkg/ssa does.
func (hc *HealthCheck) errorLocked(msg string, deadline bool) error {
	var errs []string
	for _, id := range hc.set {
		rs := hc.last[id]
		switch {
		case rs == nil:
			if !hc.jobsTTL.Contains(id) {
				errs = append(errs, fmt.Sprintf("can't determine status for %s", utils.FmtObjMetadata(id)))
			}
		case rs.Status == status.NotFoundStatus && hc.jobsTTL.Contains(id):
		case rs.Status == status.FailedStatus, deadline && rs.Status != status.CurrentStatus:
			s := fmt.Sprintf("%s status: '%s'", utils.FmtObjMetadata(id), rs.Status)
			if rs.Error != nil {
				s += ": " + rs.Error.Error()
			}
			errs = append(errs, s)
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("%s: [%s]", msg, strings.Join(errs, ", "))
}

// readerFor returns the first status reader that supports gk.
func (hc *HealthCheck) readerFor(gk schema.GroupKind) engine.StatusReader {
	for _, r := range hc.readers {
		if r.Supports(gk) {
			return r
		}
	}
	return hc.readers[len(hc.readers)-1]
}

// watcherFallback is how often a watched check is evaluated again without
// an event (a change its informers do not see, such as a Pod of a
// StatefulSet): Flux's poll interval.
const watcherFallback = 5 * time.Second

// Watcher goes on with health checks off the caller's goroutine. Checks
// answered from its informers (ferry's own identity, on its own cluster)
// are evaluated again when an object of theirs changes; the others poll a
// direct reader. Each ends at its deadline at the latest. A Watcher is a
// manager Runnable: it starts its informers with the manager.
//
// A waiting check costs a queue entry, not a goroutine: a few workers
// evaluate the checks that are due (an event about one of their objects,
// their next poll, their deadline), so a thousand Kustomizations waiting
// for their Deployments hold no stacks or timers of their own. A direct
// poll gets a goroutine for each evaluation, while it reads the cluster.
type Watcher struct {
	config *rest.Config
	mapper apimeta.RESTMapper

	ctx   context.Context
	cache cache.Cache
	api   client.Reader // lists, straight from the API server
	// due holds the checks to evaluate, each once however often it was
	// added, and each after a delay until its next poll or deadline.
	due workqueue.TypedDelayingInterface[*watch]

	mu       sync.Mutex
	handled  map[schema.GroupVersionKind]bool
	interest map[object.ObjMetadata]map[*watch]struct{}
}

// watchWorkers is how many checks a Watcher evaluates at once: those
// answered from the informers take microseconds; a few direct polls of a
// slow remote cluster must not hold up the others.
const watchWorkers = 4

// NewWatcher returns a Watcher whose informers read through config.
func NewWatcher(config *rest.Config, mapper apimeta.RESTMapper) *Watcher {
	return &Watcher{config: config, mapper: mapper, due: workqueue.NewTypedDelayingQueue[*watch](),
		handled: map[schema.GroupVersionKind]bool{}, interest: map[object.ObjMetadata]map[*watch]struct{}{}}
}

// Start runs the informers and the workers until ctx ends.
func (w *Watcher) Start(ctx context.Context) error {
	c, err := cache.New(w.config, cache.Options{Mapper: w.mapper, DefaultTransform: keepForStatus})
	if err != nil {
		return fmt.Errorf("health check informers: %w", err)
	}
	api, err := client.New(w.config, client.Options{Mapper: w.mapper})
	if err != nil {
		return fmt.Errorf("health check client: %w", err)
	}
	w.ctx, w.cache, w.api = ctx, c, api
	for range watchWorkers {
		go w.work()
	}
	context.AfterFunc(ctx, w.due.ShutDown) // the manager stopping ends every watch, done uncalled
	return c.Start(ctx)
}

// keepForStatus is the informers' transform: it drops what no status
// computation reads (managed fields, kubectl's last-applied annotation, the
// Pod template of the built-in workloads, which kstatus never reads), so
// that a cluster's Deployments cost little to keep.
func keepForStatus(o any) (any, error) {
	u, ok := o.(*unstructured.Unstructured)
	if !ok {
		return o, nil
	}
	u.SetManagedFields(nil)
	if a := u.GetAnnotations(); a[lastAppliedAnnotation] != "" {
		delete(a, lastAppliedAnnotation)
		u.SetAnnotations(a)
	}
	if g := u.GroupVersionKind().Group; g == "apps" || g == "batch" {
		unstructured.RemoveNestedField(u.Object, "spec", "template")
		unstructured.RemoveNestedField(u.Object, "spec", "jobTemplate")
	}
	return u, nil
}

// lastAppliedAnnotation is where kubectl apply keeps a whole copy of the object.
const lastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration"

// watch is one check being watched.
type watch struct {
	hc       *HealthCheck
	deadline time.Time
	reader   engine.ClusterReader
	every    time.Duration
	direct   bool // reader reads the cluster, not the informers
	done     func(error)
	ended    atomic.Bool
}

// Watch goes on with hc until it is over or deadline passes, then calls
// done with its error, once, from another goroutine. With direct nil the
// check is answered from the informers; otherwise direct is read every
// interval. The returned function cancels the watch (done is not called).
func (w *Watcher) Watch(hc *HealthCheck, deadline time.Time, direct engine.ClusterReader, interval time.Duration, done func(error)) (cancel func()) {
	wt := &watch{hc: hc, deadline: deadline, reader: direct, every: interval, direct: direct != nil, done: done}
	if direct == nil {
		wt.reader, wt.every = &cacheReader{w: w, hc: hc}, watcherFallback
		w.register(wt)
	}
	w.due.AddAfter(wt, wt.untilNext())
	return func() {
		if wt.ended.CompareAndSwap(false, true) {
			w.unregister(wt)
		}
	}
}

// untilNext is the time until wt is due without an event: its next poll,
// or its deadline if that comes first.
func (wt *watch) untilNext() time.Duration { return min(wt.every, time.Until(wt.deadline)) }

// work evaluates the checks that are due until the Watcher stops.
func (w *Watcher) work() {
	for {
		wt, shutdown := w.due.Get()
		if shutdown {
			return
		}
		if wt.direct {
			// A direct poll may wait on a slow or unreachable remote
			// cluster: it gets a goroutine of its own for the evaluation
			// so that it never holds up the checks answered from the
			// informers.
			go func() {
				w.evaluate(wt)
				w.due.Done(wt)
			}()
			continue
		}
		w.evaluate(wt)
		w.due.Done(wt)
	}
}

// evaluate reads wt's objects again and ends it when it is over or past its
// deadline; otherwise it is due again at its next poll.
func (w *Watcher) evaluate(wt *watch) {
	if wt.ended.Load() {
		return // cancelled; a leftover entry
	}
	if !time.Now().Before(wt.deadline) {
		w.end(wt, wt.hc.TimeoutError())
		return
	}
	ctx, cancel := context.WithDeadline(w.ctx, wt.deadline)
	defer cancel()
	if over, err := wt.hc.Evaluate(ctx, wt.reader); over && ctx.Err() == nil {
		w.end(wt, err)
		return
	}
	w.due.AddAfter(wt, wt.untilNext())
}

// end calls wt's done with err unless it was cancelled or ended already.
func (w *Watcher) end(wt *watch, err error) {
	if wt.ended.CompareAndSwap(false, true) {
		w.unregister(wt)
		wt.done(err)
	}
}

// register makes the informers' events about wt's objects wake it.
func (w *Watcher) register(wt *watch) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, id := range wt.hc.pending() {
		if w.interest[id] == nil {
			w.interest[id] = map[*watch]struct{}{}
		}
		w.interest[id][wt] = struct{}{}
	}
}

func (w *Watcher) unregister(wt *watch) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, id := range wt.hc.set {
		delete(w.interest[id], wt)
		if len(w.interest[id]) == 0 {
			delete(w.interest, id)
		}
	}
}

// informed makes sure the informer of gvk runs and wakes the checks
// interested in its objects.
func (w *Watcher) informed(ctx context.Context, gvk schema.GroupVersionKind) error {
	w.mu.Lock()
	handled := w.handled[gvk]
	w.mu.Unlock()
	if handled {
		return nil
	}
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(gvk)
	inf, err := w.cache.GetInformer(ctx, u)
	if err != nil {
		return err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.handled[gvk] {
		return nil
	}
	poke := func(o any) {
		if t, ok := o.(toolscache.DeletedFinalStateUnknown); ok {
			o = t.Obj
		}
		obj, ok := o.(client.Object)
		if !ok {
			return
		}
		id := object.ObjMetadata{Namespace: obj.GetNamespace(), Name: obj.GetName(), GroupKind: gvk.GroupKind()}
		w.mu.Lock()
		for wt := range w.interest[id] {
			w.due.Add(wt)
		}
		w.mu.Unlock()
	}
	if _, err := inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc: poke, UpdateFunc: func(_, o any) { poke(o) }, DeleteFunc: poke,
	}); err != nil {
		return err
	}
	w.handled[gvk] = true
	log.FromContext(ctx).V(1).Info("health checks watch a new kind", "kind", gvk.String())
	return nil
}

// errStale is the answer for an informer's copy older than the applied
// object: the check waits for the informer to catch up.
var errStale = errors.New("the informer has not seen the applied object yet")

// cacheReader is a kstatus ClusterReader over the Watcher's informers.
// Lists (the Pods of a StatefulSet) go to the API server: no informer
// over every Pod.
type cacheReader struct {
	w  *Watcher
	hc *HealthCheck
}

func (r *cacheReader) Sync(context.Context) error { return nil }

func (r *cacheReader) Get(ctx context.Context, key client.ObjectKey, obj *unstructured.Unstructured) error {
	gvk := obj.GroupVersionKind()
	if err := r.w.informed(ctx, gvk); err != nil {
		return err
	}
	if err := r.w.cache.Get(ctx, key, obj); err != nil {
		return err
	}
	id := object.ObjMetadata{Namespace: key.Namespace, Name: key.Name, GroupKind: gvk.GroupKind()}
	r.hc.mu.Lock()
	floor := r.hc.floor[id]
	r.hc.mu.Unlock()
	if obj.GetGeneration() < floor {
		return errStale
	}
	return nil
}

func (r *cacheReader) ListNamespaceScoped(ctx context.Context, list *unstructured.UnstructuredList, namespace string, selector labels.Selector) error {
	return r.w.api.List(ctx, list, client.InNamespace(namespace), client.MatchingLabelsSelector{Selector: selector})
}

func (r *cacheReader) ListClusterScoped(ctx context.Context, list *unstructured.UnstructuredList, selector labels.Selector) error {
	return r.w.api.List(ctx, list, client.MatchingLabelsSelector{Selector: selector})
}
