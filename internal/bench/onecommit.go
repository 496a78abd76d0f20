package bench

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/api/meta"
)

// OneCommitResult holds the figures of the one-commit scenario: a commit
// that changes one app's directory only (its ConfigMap's data), then a
// reconciliation of the GitRepository requested as `flux reconcile source
// git` does. Every duration is from that request.
type OneCommitResult struct {
	// App is the app whose directory changed; Revision the new commit.
	App      string `json:"app"`
	Revision string `json:"revision"`
	// Artifact is until the GitRepository's artifact has the commit.
	Artifact time.Duration `json:"artifactNanoseconds"`
	// AppApplied is until a watch of the app's ConfigMap shows the new data.
	AppApplied time.Duration `json:"appAppliedNanoseconds"`
	// AllAtRevision is until every Kustomization is Ready with the commit
	// in status.lastAppliedRevision.
	AllAtRevision time.Duration `json:"allAtRevisionNanoseconds"`
	// CPU is the controller's CPU time during that, in seconds.
	CPU float64 `json:"cpuSeconds"`
	// Rewritten counts applied objects whose resourceVersion changed (the
	// changed ConfigMap is one); RewrittenObjects names some of them.
	Rewritten        int      `json:"rewritten"`
	RewrittenObjects []string `json:"rewrittenObjects,omitempty"`
}

// oneCommitValue is the ConfigMap's new greeting.
const oneCommitValue = "hello again"

// oneCommit commits a change to the directory of one app (the one in the
// middle), requests a reconciliation of the GitRepository and times the
// changed app's apply and all Kustomizations reaching the commit. before
// holds the applied objects' resourceVersions at the start.
func (r *run) oneCommit(ctx context.Context, src benchSource, before map[string]string) error {
	count := r.opts.Count
	app := appName(count / 2)
	res := &OneCommitResult{App: app}

	// Clock the artifact and every Kustomization's applied revision from
	// watch events, from the commit they show now.
	old, err := src.revision()
	if err != nil {
		return err
	}
	artifacts := newRevisionClock(1, artifactRevision)
	applied := newRevisionClock(count, appliedRevision)
	artifacts.expect(old, 0)
	applied.expect(old, 0)
	if err := clockKind(ctx, r.watch, src.object(), artifacts); err != nil {
		return err
	}
	if err := clockKind(ctx, r.watch, &kustomizev1.Kustomization{}, applied); err != nil {
		return err
	}

	// Commit the change to the app's ConfigMap.
	r.say("► one commit: changing the ConfigMap of %s only", app)
	manifests := strings.Replace(Manifests(count)["apps/"+app+"/manifests.yaml"],
		"greeting: hello", "greeting: "+oneCommitValue, 1)
	if res.Revision, err = src.publish(map[string]string{"apps/" + app + "/manifests.yaml": manifests}, "change the greeting of "+app); err != nil {
		return err
	}
	artifacts.expect(res.Revision, 1)
	applied.expect(res.Revision, 1)

	// Watch the app's ConfigMap for the new data.
	watchCtx, stop := context.WithCancel(ctx)
	defer stop()
	cmApplied, err := r.watchConfigMap(watchCtx, app)
	if err != nil {
		return err
	}

	// Request a reconciliation of the GitRepository and time the rest.
	cpu0, _ := cpuSecondsOf(r.ctrl.pid())
	start := time.Now()
	patch := fmt.Appendf(nil, `{"metadata":{"annotations":{%q:%q}}}`, meta.ReconcileRequestAnnotation, start.Format(time.RFC3339Nano))
	if err := r.c.Patch(ctx, src.object(), client.RawPatch(types.MergePatchType, patch)); err != nil {
		return fmt.Errorf("requesting a reconciliation of the %s: %w", r.sourceKind, err)
	}
	r.say("► waiting until all %d Kustomizations have applied %s", count, res.Revision[:12])
	artifactAt, err := artifacts.wait(ctx, 1, r.opts.Timeout, r.ctrl)
	if err != nil {
		return fmt.Errorf("one commit, the artifact: %w", err)
	}
	allAt, err := applied.wait(ctx, 1, r.opts.Timeout, r.ctrl)
	if err != nil {
		return fmt.Errorf("one commit, all at the new revision: %w", err)
	}
	cpu1, _ := cpuSecondsOf(r.ctrl.pid())
	var appAt time.Time
	select {
	case appAt = <-cmApplied:
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(time.Minute):
		return fmt.Errorf("one commit: every Kustomization applied %s but the watch never showed ConfigMap %s with the new data", res.Revision, app)
	}
	res.Artifact, res.AppApplied, res.AllAtRevision = artifactAt.Sub(start), appAt.Sub(start), allAt.Sub(start)
	res.CPU = cpu1 - cpu0

	// Count the objects the commit rewrote.
	after, err := resourceVersions(ctx, r.c)
	if err != nil {
		return err
	}
	for _, id := range slices.Sorted(mapsKeys(before)) {
		if after[id] != before[id] {
			res.Rewritten++
			if len(res.RewrittenObjects) < 10 {
				res.RewrittenObjects = append(res.RewrittenObjects, id)
			}
		}
	}
	r.res.OneCommit = res
	r.say("✔ one commit: %s applied in %s, all %d at the new revision in %s; objects rewritten: %d",
		app, res.AppApplied.Round(time.Millisecond), count, res.AllAtRevision.Round(time.Millisecond), res.Rewritten)
	return nil
}

// watchConfigMap watches the applied ConfigMap of app and sends, once,
// when it first shows the new greeting.
func (r *run) watchConfigMap(ctx context.Context, app string) (<-chan time.Time, error) {
	dyn, err := dynamic.NewForConfig(r.cfg)
	if err != nil {
		return nil, fmt.Errorf("creating a client for the watch: %w", err)
	}
	w, err := dyn.Resource(corev1.SchemeGroupVersion.WithResource("configmaps")).Namespace(TargetNamespace).
		Watch(ctx, metav1.ListOptions{FieldSelector: fields.OneTermEqualSelector("metadata.name", app).String()})
	if err != nil {
		return nil, fmt.Errorf("watching ConfigMap %s/%s: %w", TargetNamespace, app, err)
	}
	seen := make(chan time.Time, 1)
	go func() {
		defer w.Stop()
		for ev := range w.ResultChan() {
			if ev.Type != watch.Added && ev.Type != watch.Modified {
				continue
			}
			u, ok := ev.Object.(*unstructured.Unstructured)
			if !ok {
				continue
			}
			if v, _, _ := unstructured.NestedString(u.Object, "data", "greeting"); v == oneCommitValue {
				seen <- time.Now()
				return
			}
		}
	}()
	return seen, nil
}
