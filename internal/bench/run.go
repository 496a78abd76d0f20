package bench

import (
	"context"
	"fmt"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/scheme"
)

// run is one run of the benchmark: what its steps share once the cluster,
// the controller and the watch are up.
type run struct {
	opts Options
	say  func(format string, args ...any)
	res  *Result

	c     client.Client
	cfg   *rest.Config
	watch cache.Cache
	ctrl  *controllerProcess
	// appliedCPU is the controller's CPU time, in seconds, when the first
	// apply ended.
	appliedCPU float64
	// sourceKind is the kind of the Kustomizations' source; empty means
	// GitRepository.
	sourceKind string
}

// createNamespaces creates the namespace of the sources and the target
// namespace.
func createNamespaces(ctx context.Context, c client.Client) error {
	for _, ns := range []string{SourceNamespace, TargetNamespace} {
		if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
			return fmt.Errorf("creating namespace %s: %w", ns, err)
		}
	}
	return nil
}

// startWatch starts an informer cache of the source namespace that runs
// until ctx ends.
func startWatch(ctx context.Context, cfg *rest.Config) (cache.Cache, error) {
	watch, err := cache.New(cfg, cache.Options{Scheme: scheme.New(),
		DefaultNamespaces: map[string]cache.Config{SourceNamespace: {}}})
	if err != nil {
		return nil, fmt.Errorf("creating the cache: %w", err)
	}
	go func() { _ = watch.Start(ctx) }()
	return watch, nil
}

// createSource creates the GitRepository of url and waits until the
// controller has stored its artifact.
func (r *run) createSource(ctx context.Context, url string) error {
	return r.createSourceObject(ctx, (&gitSource{}).objectOf(url))
}

// createSourceObject creates the source obj and waits until the controller
// has stored its artifact.
func (r *run) createSourceObject(ctx context.Context, obj client.Object) error {
	kind := sourceKindOf(obj)
	if err := r.c.Create(ctx, obj); err != nil {
		return fmt.Errorf("creating the %s: %w", kind, err)
	}
	src := obj.(interface {
		sourcev1.Source
		GetConditions() []metav1.Condition
	})
	r.say("► waiting for the %s's artifact", kind)
	return r.ctrl.waitFor(ctx, 5*time.Minute, func() (bool, string, error) {
		if err := r.watch.Get(ctx, client.ObjectKeyFromObject(obj), obj); err != nil {
			return false, "", nil
		}
		ready := apimeta.IsStatusConditionTrue(src.GetConditions(), meta.ReadyCondition)
		return ready && src.GetArtifact() != nil, "the " + kind + " is not Ready", nil
	})
}

// firstApply creates the Kustomizations and times them until all are
// Ready. It returns the resourceVersions of the objects they applied.
func (r *run) firstApply(ctx context.Context) (map[string]string, error) {
	count := r.opts.Count
	r.say("► creating %d Kustomizations", count)
	cpu0, _ := cpuSecondsOf(r.ctrl.pid())
	start := time.Now()
	if err := createKustomizations(ctx, r.c, count, r.sourceKind); err != nil {
		return nil, err
	}
	r.say("► waiting until all are Ready")
	if err := r.ctrl.waitFor(ctx, r.opts.Timeout, allReady(ctx, r.watch, count, nil)); err != nil {
		return nil, fmt.Errorf("first apply: %w", err)
	}
	r.res.FirstApply = time.Since(start)
	r.appliedCPU, _ = cpuSecondsOf(r.ctrl.pid())
	r.res.FirstApplyCPU = r.appliedCPU - cpu0
	r.say("✔ %d Kustomizations Ready in %s", count, r.res.FirstApply.Round(time.Millisecond))

	before, err := resourceVersions(ctx, r.c)
	if err != nil {
		return nil, err
	}
	r.res.Objects = len(before)
	if want := 4 * count; len(before) != want {
		return nil, fmt.Errorf("found %d applied objects, want %d", len(before), want)
	}
	return before, nil
}

// noChangePass asks every Kustomization to reconcile, with no new commit,
// times them until each has handled the request and is Ready, and counts
// the applied objects whose resourceVersion differs from before. It
// returns their resourceVersions after the pass.
func (r *run) noChangePass(ctx context.Context, before map[string]string) (map[string]string, error) {
	count := r.opts.Count
	token := time.Now().Format(time.RFC3339Nano)
	r.say("► requesting a reconciliation of every Kustomization (no new commit)")
	start := time.Now()
	if err := requestReconcile(ctx, r.c, count, token); err != nil {
		return nil, err
	}
	if err := r.ctrl.waitFor(ctx, r.opts.Timeout, allReady(ctx, r.watch, count, &token)); err != nil {
		return nil, fmt.Errorf("no-change pass: %w", err)
	}
	r.res.NoChange = time.Since(start)
	cpu, _ := cpuSecondsOf(r.ctrl.pid())
	r.res.NoChangeCPU = cpu - r.appliedCPU
	r.say("✔ no-change pass done in %s", r.res.NoChange.Round(time.Millisecond))

	after, err := resourceVersions(ctx, r.c)
	if err != nil {
		return nil, err
	}
	for _, id := range slices.Sorted(mapsKeys(before)) {
		if after[id] != before[id] {
			r.res.Rewritten++
			if len(r.res.RewrittenObjects) < 10 {
				r.res.RewrittenObjects = append(r.res.RewrittenObjects, id)
			}
		}
	}
	return after, nil
}

// recordMemory records the controller's peak memory: the larger of its
// VmHWM and the VmRSS samples, and the largest RssAnon sample.
func (r *run) recordMemory() error {
	peak, _, _, err := memoryOf(r.ctrl.pid())
	if err != nil {
		return fmt.Errorf("reading the controller's memory: %w", err)
	}
	rss, anon := r.ctrl.largest()
	r.res.PeakRSS = max(peak, rss)
	r.res.PeakAnon = anon
	return nil
}
