package helmrelease

import (
	"context"
	"fmt"

	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	ctrlreconcile "sigs.k8s.io/controller-runtime/pkg/reconcile"

	helmv2 "github.com/ferrycd/ferry/api/helm/v2"
	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/helm/release"
)

func indexChart(o client.Object) []string {
	if src, ok := release.ChartSourceRef(o.(*helmv2.HelmRelease)); ok {
		return []string{chartIndexValue(src.Kind, src.Key)}
	}
	return nil
}

func chartIndexValue(kind string, key types.NamespacedName) string { return kind + "/" + key.String() }

func indexValues(o client.Object) []string {
	hr := o.(*helmv2.HelmRelease)
	var keys []string
	for _, v := range hr.Spec.ValuesFrom {
		keys = append(keys, fmt.Sprintf("%s/%s/%s", v.Kind, hr.Namespace, v.Name))
	}
	return keys
}

// dependencyKind returns the kind of a dependency: HelmRelease unless it
// says Kustomization.
func dependencyKind(d helmv2.DependencyReference) string {
	if d.Kind == "" {
		return helmv2.HelmReleaseKind
	}
	return d.Kind
}

func dependencyKey(hr *helmv2.HelmRelease, d helmv2.DependencyReference) types.NamespacedName {
	ns := d.Namespace
	if ns == "" {
		ns = hr.Namespace
	}
	return types.NamespacedName{Namespace: ns, Name: d.Name}
}

func indexDependsOn(o client.Object) []string {
	hr := o.(*helmv2.HelmRelease)
	var keys []string
	for _, d := range hr.Spec.DependsOn {
		keys = append(keys, dependencyKind(d)+"/"+dependencyKey(hr, d).String())
	}
	return keys
}

// requestsFor lists the HelmReleases whose index key is key.
func (r *Reconciler) requestsFor(ctx context.Context, index, key string) []ctrlreconcile.Request {
	var list helmv2.HelmReleaseList
	if err := r.List(ctx, &list, client.MatchingFields{index: key}); err != nil {
		log.FromContext(ctx).Error(err, "listing HelmReleases", "index", index, "key", key)
		return nil
	}
	reqs := make([]ctrlreconcile.Request, 0, len(list.Items))
	for i := range list.Items {
		reqs = append(reqs, ctrlreconcile.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])})
	}
	return reqs
}

// requestsForChart reconciles the HelmReleases of a chart source (a
// HelmChart or an OCIRepository) that got a new artifact or changed
// readiness, and cancels the wait of one that is still waiting for the
// previous revision's objects.
func (r *Reconciler) requestsForChart(kind string) handler.MapFunc {
	return func(ctx context.Context, o client.Object) []ctrlreconcile.Request {
		return r.requestsForChartSource(ctx, kind, o.(sourcev1.Source))
	}
}

func (r *Reconciler) requestsForChartSource(ctx context.Context, kind string, o sourcev1.Source) []ctrlreconcile.Request {
	reqs := r.requestsFor(ctx, chartIndexKey, chartIndexValue(kind, types.NamespacedName{Namespace: o.GetNamespace(), Name: o.GetName()}))
	art := o.GetArtifact()
	if art == nil {
		return reqs
	}
	for _, req := range reqs {
		if r.inflight.cancelNewer(req.NamespacedName, 0, art.Digest) {
			log.FromContext(ctx).Info("a new chart artifact cancels the wait of the running release action", "helmrelease", req.String())
		}
	}
	return reqs
}

// requestsForDependents reconciles the HelmReleases that depend on a
// HelmRelease or Kustomization.
func (r *Reconciler) requestsForDependents(kind string) handler.MapFunc {
	return func(ctx context.Context, o client.Object) []ctrlreconcile.Request {
		return r.requestsFor(ctx, dependsOnIndexKey, kind+"/"+client.ObjectKeyFromObject(o).String())
	}
}

// requestsForValues reconciles the HelmReleases whose valuesFrom names a
// watched ConfigMap or Secret.
func (r *Reconciler) requestsForValues(kind string) handler.MapFunc {
	return func(ctx context.Context, o client.Object) []ctrlreconcile.Request {
		return r.requestsFor(ctx, valuesIndexKey, kind+"/"+client.ObjectKeyFromObject(o).String())
	}
}

// readyChanged passes updates that change an object's Ready condition
// (status, reason or observed generation).
type readyChanged struct{}

func (readyChanged) Create(event.CreateEvent) bool   { return false }
func (readyChanged) Delete(event.DeleteEvent) bool   { return false }
func (readyChanged) Generic(event.GenericEvent) bool { return false }
func (readyChanged) Update(e event.UpdateEvent) bool {
	ready := func(o client.Object) *metav1.Condition {
		if g, ok := o.(interface{ GetConditions() []metav1.Condition }); ok {
			return apimeta.FindStatusCondition(g.GetConditions(), meta.ReadyCondition)
		}
		return nil
	}
	a, b := ready(e.ObjectOld), ready(e.ObjectNew)
	switch {
	case a == nil && b == nil:
		return false
	case a == nil || b == nil:
		return true
	}
	return a.Status != b.Status || a.Reason != b.Reason || a.ObservedGeneration != b.ObservedGeneration
}

// cancelOnNewGeneration cancels the wait of a running release action when
// its HelmRelease gets a new generation; it enqueues nothing (the For watch
// does).
type cancelOnNewGeneration struct{ r *Reconciler }

func (c cancelOnNewGeneration) Create(context.Context, event.CreateEvent, workqueue.TypedRateLimitingInterface[ctrlreconcile.Request]) {
}
func (c cancelOnNewGeneration) Delete(context.Context, event.DeleteEvent, workqueue.TypedRateLimitingInterface[ctrlreconcile.Request]) {
}
func (c cancelOnNewGeneration) Generic(context.Context, event.GenericEvent, workqueue.TypedRateLimitingInterface[ctrlreconcile.Request]) {
}
func (c cancelOnNewGeneration) Update(ctx context.Context, e event.UpdateEvent, _ workqueue.TypedRateLimitingInterface[ctrlreconcile.Request]) {
	if e.ObjectOld.GetGeneration() != e.ObjectNew.GetGeneration() {
		if c.r.inflight.cancelNewer(client.ObjectKeyFromObject(e.ObjectNew), e.ObjectNew.GetGeneration(), "") {
			log.FromContext(ctx).Info("a new generation cancels the wait of the running release action", "helmrelease", client.ObjectKeyFromObject(e.ObjectNew).String())
		}
	}
}
