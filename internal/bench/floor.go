package bench

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/fluxcd/cli-utils/pkg/kstatus/status"
	ssautil "github.com/fluxcd/pkg/ssa/utils"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"

	"github.com/ferrycd/ferry/internal/scheme"
)

// DefaultFloorConcurrency is the set of concurrencies the floor is measured
// at when Options.FloorConcurrency is empty.
var DefaultFloorConcurrency = []int{4, 8, 16, 32}

// FloorResult is the raw server-side-apply floor: the same 4 × Count
// objects the Kustomizations apply, decoded from Manifests and put in a
// namespace of their own, applied by one client without a rate limit, and
// timed until every Deployment among them is Current (kstatus), as
// `wait: true` waits. Each concurrency gets its own namespace, so that
// every round creates its objects afresh; the fastest round is the floor.
type FloorResult struct {
	// Concurrency, Apply and Healthy are those of the fastest round.
	Concurrency int           `json:"concurrency"`
	Apply       time.Duration `json:"applyNanoseconds"`
	Healthy     time.Duration `json:"healthyNanoseconds"`
	// Rounds are all the rounds, in the order they ran.
	Rounds []FloorRound `json:"rounds"`
}

// FloorRound is one round of the floor at one concurrency.
type FloorRound struct {
	Concurrency int    `json:"concurrency"`
	Namespace   string `json:"namespace"`
	// Apply is from the first apply request until the last one was
	// answered; Healthy until, in addition, every Deployment was seen
	// Current in a watch.
	Apply   time.Duration `json:"applyNanoseconds"`
	Healthy time.Duration `json:"healthyNanoseconds"`
}

// floorFieldManager is the field manager of the floor's applies: that of
// ferry (and kustomize-controller), so that the stored objects are alike.
const floorFieldManager = "kustomize-controller"

// floorResources maps the kinds of Manifests to their resources.
var floorResources = map[string]schema.GroupVersionResource{
	"ServiceAccount": corev1.SchemeGroupVersion.WithResource("serviceaccounts"),
	"ConfigMap":      corev1.SchemeGroupVersion.WithResource("configmaps"),
	"Service":        corev1.SchemeGroupVersion.WithResource("services"),
	"Deployment":     {Group: "apps", Version: "v1", Resource: "deployments"},
}

// floorObjects decodes Manifests(count) as ferry applies them: in
// namespace ns, with the owner labels of the app's Kustomization.
func floorObjects(count int, ns string) ([]*unstructured.Unstructured, error) {
	files := Manifests(count)
	objs := make([]*unstructured.Unstructured, 0, 4*count)
	for i := range count {
		name := appName(i)
		decoded, err := ssautil.ReadObjects(strings.NewReader(files["apps/"+name+"/manifests.yaml"]))
		if err != nil {
			return nil, fmt.Errorf("decoding the manifests of %s: %w", name, err)
		}
		for _, o := range decoded {
			o.SetNamespace(ns)
			labels := o.GetLabels()
			if labels == nil {
				labels = map[string]string{}
			}
			labels[ownerLabel] = name
			labels["kustomize.toolkit.fluxcd.io/namespace"] = SourceNamespace
			o.SetLabels(labels)
		}
		objs = append(objs, decoded...)
	}
	return objs, nil
}

// floorNamespace names the namespace of the round at concurrency c.
func floorNamespace(c int) string { return fmt.Sprintf("%s-floor-c%d", TargetNamespace, c) }

// measureFloor runs one round of the floor per concurrency and records the
// fastest in r.res.Floor.
func (r *run) measureFloor(ctx context.Context, concurrencies []int) error {
	count := r.opts.Count
	r.say("► the floor: %d objects by server-side apply from one client without a rate limit, at concurrency %v", 4*count, concurrencies)

	// One client without a rate limit, and namespaces for every round.
	cfg := rest.CopyConfig(r.cfg)
	cfg.QPS, cfg.Burst = -1, 0
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("creating the floor's client: %w", err)
	}
	namespaces := map[string]cache.Config{}
	for _, c := range concurrencies {
		ns := floorNamespace(c)
		namespaces[ns] = cache.Config{}
		if err := r.c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
			return fmt.Errorf("creating namespace %s: %w", ns, err)
		}
	}

	// Watch the Deployments of those namespaces and note when each round's
	// are all Current.
	watchCtx, stop := context.WithCancel(ctx)
	defer stop()
	watch, err := cache.New(r.cfg, cache.Options{Scheme: scheme.New(), DefaultNamespaces: namespaces})
	if err != nil {
		return fmt.Errorf("creating the floor's watch: %w", err)
	}
	go func() { _ = watch.Start(watchCtx) }()
	health := newHealthClock(count)
	deployment := &unstructured.Unstructured{}
	deployment.SetGroupVersionKind(schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"})
	inf, err := watch.GetInformer(ctx, deployment)
	if err != nil {
		return fmt.Errorf("watching the floor's Deployments: %w", err)
	}
	if _, err := inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc:    health.observe,
		UpdateFunc: func(_, obj any) { health.observe(obj) },
	}); err != nil {
		return fmt.Errorf("watching the floor's Deployments: %w", err)
	}

	// Run the rounds one after the other; each waits for its Deployments,
	// so the next starts on a settled cluster.
	floor := &FloorResult{}
	for _, c := range concurrencies {
		round, err := r.floorRound(ctx, dyn, health, c)
		if err != nil {
			return fmt.Errorf("the floor at concurrency %d: %w", c, err)
		}
		r.say("  concurrency %d: applied in %s, healthy in %s", c,
			round.Apply.Round(time.Millisecond), round.Healthy.Round(time.Millisecond))
		floor.Rounds = append(floor.Rounds, round)
	}
	fastest := slices.MinFunc(floor.Rounds, func(a, b FloorRound) int { return int(a.Healthy - b.Healthy) })
	floor.Concurrency, floor.Apply, floor.Healthy = fastest.Concurrency, fastest.Apply, fastest.Healthy
	r.res.Floor = floor
	if floor.Healthy > 0 {
		r.res.FloorMultiple = float64(r.res.FirstApply) / float64(floor.Healthy)
	}
	r.say("✔ the floor: %s at concurrency %d; ferry's first apply took %.1f× that",
		floor.Healthy.Round(time.Millisecond), floor.Concurrency, r.res.FloorMultiple)
	return nil
}

// floorRound applies the objects in the namespace of concurrency c with c
// requests in flight and waits until its Deployments are Current.
func (r *run) floorRound(ctx context.Context, dyn dynamic.Interface, health *healthClock, c int) (FloorRound, error) {
	ns := floorNamespace(c)
	objs, err := floorObjects(r.opts.Count, ns)
	if err != nil {
		return FloorRound{}, err
	}
	opts := metav1.ApplyOptions{FieldManager: floorFieldManager, Force: true}
	start := time.Now()
	err = parallelN(ctx, c, len(objs), func(i int) error {
		o := objs[i]
		gvr, ok := floorResources[o.GetKind()]
		if !ok {
			return fmt.Errorf("no resource known for kind %s", o.GetKind())
		}
		if _, err := dyn.Resource(gvr).Namespace(ns).Apply(ctx, o.GetName(), o, opts); err != nil {
			return fmt.Errorf("%s/%s/%s apply failed: %w", o.GetKind(), ns, o.GetName(), err)
		}
		return nil
	})
	if err != nil {
		return FloorRound{}, err
	}
	applied := time.Now()
	healthy, err := health.wait(ctx, ns, r.opts.Timeout)
	if err != nil {
		return FloorRound{}, err
	}
	if healthy.Before(applied) {
		healthy = applied
	}
	return FloorRound{Concurrency: c, Namespace: ns, Apply: applied.Sub(start), Healthy: healthy.Sub(start)}, nil
}

// healthClock notes, from a watch's event handler, when want Deployments
// of a namespace have been seen Current.
type healthClock struct {
	want int

	mu      sync.Mutex
	current map[string]map[string]bool // namespace → names seen Current
	reached map[string]time.Time       // namespace → when want were
	changed chan struct{}              // closed, and replaced, on every change
}

func newHealthClock(want int) *healthClock {
	return &healthClock{want: want, current: map[string]map[string]bool{},
		reached: map[string]time.Time{}, changed: make(chan struct{})}
}

// observe is the event handler.
func (h *healthClock) observe(obj any) {
	now := time.Now()
	u, ok := obj.(*unstructured.Unstructured)
	if !ok {
		return
	}
	res, err := status.Compute(u)
	if err != nil || res.Status != status.CurrentStatus {
		return
	}
	ns := u.GetNamespace()
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.current[ns] == nil {
		h.current[ns] = map[string]bool{}
	}
	if h.current[ns][u.GetName()] {
		return
	}
	h.current[ns][u.GetName()] = true
	if len(h.current[ns]) == h.want {
		h.reached[ns] = now
	}
	close(h.changed)
	h.changed = make(chan struct{})
}

// wait waits until the Deployments of ns are Current, the timeout passes
// or ctx ends, and returns when they were.
func (h *healthClock) wait(ctx context.Context, ns string, timeout time.Duration) (time.Time, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		h.mu.Lock()
		t, ok := h.reached[ns]
		changed, n := h.changed, len(h.current[ns])
		h.mu.Unlock()
		if ok {
			return t, nil
		}
		state := fmt.Sprintf("%d of %d Deployments Current", n, h.want)
		select {
		case <-changed:
		case <-ctx.Done():
			return time.Time{}, fmt.Errorf("interrupted (%s): %w", state, ctx.Err())
		case <-deadline.C:
			return time.Time{}, fmt.Errorf("timed out after %s: %s", timeout, state)
		}
	}
}
