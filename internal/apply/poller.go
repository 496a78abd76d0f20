package apply

import (
	"context"
	"sync"

	"github.com/fluxcd/cli-utils/pkg/kstatus/polling/engine"
	"github.com/fluxcd/cli-utils/pkg/kstatus/polling/statusreaders"
	"github.com/fluxcd/cli-utils/pkg/kstatus/status"
	"github.com/fluxcd/cli-utils/pkg/object"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// prefetchConcurrency bounds the GETs one poll sends at once.
const prefetchConcurrency = 8

// prefetchReader is a kstatus ClusterReader that reads, at each poll, every
// object of the set at once (one GET per object, concurrently), so that a
// poll costs one round trip to the API server rather than one per object in
// sequence. It lists nothing ahead: a list (the Pods of a StatefulSet, say)
// goes straight to the API server, as with kstatus's direct reader.
type prefetchReader struct {
	reader client.Reader
	mapper apimeta.RESTMapper
	ids    object.ObjMetadataSet

	mu      sync.Mutex
	fetched map[object.ObjMetadata]fetchedObject
}

// fetchedObject is the outcome of one GET of a poll.
type fetchedObject struct {
	obj *unstructured.Unstructured
	err error
}

// newPrefetchReader is an engine.ClusterReaderFactoryFunc.
func newPrefetchReader(reader client.Reader, mapper apimeta.RESTMapper, ids object.ObjMetadataSet) (engine.ClusterReader, error) {
	return &prefetchReader{reader: reader, mapper: mapper, ids: ids}, nil
}

// Sync reads every object of the set. Failures are kept and returned by Get
// for that object, exactly as a direct GET would have returned them.
func (r *prefetchReader) Sync(ctx context.Context) error {
	fetched := make(map[object.ObjMetadata]fetchedObject, len(r.ids))
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, prefetchConcurrency)
	for _, id := range r.ids {
		mapping, err := r.mapper.RESTMapping(id.GroupKind)
		if err != nil {
			continue // Get reads it directly and reports the error where kstatus expects it
		}
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			u := &unstructured.Unstructured{}
			u.SetGroupVersionKind(mapping.GroupVersionKind)
			err := r.reader.Get(ctx, client.ObjectKey{Namespace: id.Namespace, Name: id.Name}, u)
			mu.Lock()
			fetched[id] = fetchedObject{obj: u, err: err}
			mu.Unlock()
		})
	}
	wg.Wait()
	r.mu.Lock()
	r.fetched = fetched
	r.mu.Unlock()
	return ctx.Err()
}

// Get returns the object read by the last Sync, or reads it when that Sync
// did not (another version asked for, or an object outside the set).
func (r *prefetchReader) Get(ctx context.Context, key client.ObjectKey, obj *unstructured.Unstructured) error {
	gvk := obj.GroupVersionKind()
	id := object.ObjMetadata{Namespace: key.Namespace, Name: key.Name, GroupKind: gvk.GroupKind()}
	r.mu.Lock()
	f, ok := r.fetched[id]
	r.mu.Unlock()
	if !ok || f.obj.GroupVersionKind() != gvk {
		return r.reader.Get(ctx, key, obj)
	}
	if f.err != nil {
		return f.err
	}
	f.obj.DeepCopyInto(obj)
	return nil
}

// ListNamespaceScoped lists from the API server.
func (r *prefetchReader) ListNamespaceScoped(ctx context.Context, list *unstructured.UnstructuredList, namespace string, selector labels.Selector) error {
	return r.reader.List(ctx, list, client.InNamespace(namespace), client.MatchingLabelsSelector{Selector: selector})
}

// ListClusterScoped lists from the API server.
func (r *prefetchReader) ListClusterScoped(ctx context.Context, list *unstructured.UnstructuredList, selector labels.Selector) error {
	return r.reader.List(ctx, list, client.MatchingLabelsSelector{Selector: selector})
}

// deploymentStatusReader computes a Deployment's status from the Deployment
// alone. kstatus's own Deployment reader computes exactly the same status
// (status.Compute of the Deployment) but first lists its ReplicaSets and
// their Pods, only to attach them to the result as generated resources,
// which neither fluxcd/pkg/ssa nor ferry reads: two lists per Deployment and
// poll for nothing. StatefulSets and ReplicaSets keep kstatus's readers,
// which do use their Pods (a failed Pod fails the wait early).
type deploymentStatusReader struct {
	engine.StatusReader
}

func newDeploymentStatusReader(mapper apimeta.RESTMapper) engine.StatusReader {
	return deploymentStatusReader{StatusReader: statusreaders.NewGenericStatusReader(mapper, status.Compute)}
}

// Supports reports whether gk is apps/Deployment.
func (deploymentStatusReader) Supports(gk schema.GroupKind) bool {
	return gk == schema.GroupKind{Group: "apps", Kind: "Deployment"}
}
