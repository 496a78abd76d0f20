package ui

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	helmv2 "github.com/ferrycd/ferry/api/helm/v2"
	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/internal/trace"
)

// The trace page answers `flux trace`'s question for any object: which
// Kustomization or HelmRelease manages it, from which source, revision and
// path, and what manages that one in turn. The object itself is read with
// the user's own client (any kind, so not from ferry's cache, and only if
// RBAC lets the user read it); the managers and sources come from the
// cache.

// traceQuery is what the form asks: API version or group, kind,
// namespace and name.
type traceQuery struct {
	// APIVersion is "apps/v1", "v1" or a group alone ("apps", "" for the
	// core group), whose preferred version the RESTMapper gives.
	APIVersion, Kind, Namespace, Name string
}

// tracePage is the data of the trace page.
type tracePage struct {
	Query traceQuery
	// Error says why the object cannot be traced.
	Error string
	// Object is the object traced, once read.
	Object *tracedObject
	// Chain are its manager, the manager's manager, and so on.
	Chain []traceStep
	// Loop says the last manager names one already in the chain.
	Loop string
}

// tracedObject is the object traced, as read with the user's client.
type tracedObject struct {
	APIVersion, Kind, Namespace, Name string
	Created                           time.Time
	// Labels are the labels and annotations that name its manager.
	Labels []field
	// MetadataOnly says only its metadata was read (a Secret).
	MetadataOnly bool
}

// traceStep is one manager of the chain.
type traceStep struct {
	ref
	// Via names the labels or annotations that led to it.
	Via string
	// Found says the cache holds it; Row is then its state and revision.
	Found bool
	Row   row
	// Hidden says the user may not see it (visible.go), so it was not
	// read.
	Hidden bool
	// Path is a Kustomization's spec.path; Chart a HelmRelease's chart.
	Path, Chart string
	// Sources are what it reads, the nearest first.
	Sources []traceSource
}

// traceSource is one source of a manager.
type traceSource struct {
	ref
	// Found says the cache holds it; Row is then its state and revision.
	Found bool
	Row   row
	// Link is its page; URL (credentials masked) and Ref its origin.
	Link, URL, Ref string
	// Message says why it is missing.
	Message string
}

// trace serves the trace page: the form and, when it is filled, the
// chain.
func (s *Server) trace(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p := tracePage{Query: traceQuery{
		APIVersion: strings.TrimSpace(q.Get("apiVersion")),
		Kind:       strings.TrimSpace(q.Get("kind")),
		Namespace:  strings.TrimSpace(q.Get("namespace")),
		Name:       strings.TrimSpace(q.Get("name")),
	}}
	if p.Query.APIVersion == "" {
		p.Query.APIVersion = strings.TrimSpace(q.Get("group"))
	}
	render := func(code int) {
		s.render(w, r, code, "trace", page{Title: "Trace", Nav: "Trace", LiveKinds: "Kustomization HelmRelease", Data: p})
	}
	if p.Query.Kind == "" && p.Query.Name == "" {
		render(http.StatusOK)
		return
	}
	if p.Query.Kind == "" || p.Query.Name == "" {
		p.Error = "Give at least the kind and the name of the object to trace."
		render(http.StatusBadRequest)
		return
	}
	if s.opts.Actions == nil {
		p.Error = "This UI is read-only: it has no identity of yours to read the object with, so it cannot trace it. Use `ferry ui`, or sign in."
		render(http.StatusForbidden)
		return
	}
	c, _, err := s.opts.Actions(r)
	if err != nil {
		p.Error = "You may not read objects: " + err.Error()
		render(http.StatusForbidden)
		return
	}

	// The managers and sources come from the cache: show only those the
	// user may see (visible.go).
	visible, err := s.visible(r)
	if err != nil {
		p.Error = err.Error()
		render(http.StatusForbidden)
		return
	}

	// Read the object with the user's client.
	ctx := r.Context()
	obj, code, err := s.readTraced(ctx, c, &p.Query)
	if err != nil {
		p.Error = err.Error()
		render(code)
		return
	}
	p.Object = obj.traced

	// Follow the managers upward, from the cache, until one has none.
	seen := map[string]bool{graphID(obj.traced.Kind, obj.traced.Namespace, obj.traced.Name): true}
	labels, annotations := obj.labels, obj.annotations
	for range trace.MaxDepth {
		m, via, ok := s.managerOf(ctx, visible, labels, annotations)
		if !ok {
			break
		}
		id := graphID(m.Kind, m.Namespace, m.Name)
		if seen[id] {
			p.Loop = fmt.Sprintf("%s %s/%s, named by %s, is already in the chain", m.Kind, m.Namespace, m.Name, via)
			if len(p.Chain) > 0 && p.Chain[len(p.Chain)-1].ref == m {
				p.Loop = fmt.Sprintf("%s %s/%s manages itself, as a bootstrap Kustomization does", m.Kind, m.Namespace, m.Name)
			}
			break
		}
		seen[id] = true
		step := s.traceStep(ctx, visible, m, via)
		p.Chain = append(p.Chain, step)
		if !step.Found {
			break
		}
		labels, annotations = step.Row.Object.GetLabels(), step.Row.Object.GetAnnotations()
	}
	render(http.StatusOK)
}

// readObject is what readTraced read.
type readObject struct {
	traced              *tracedObject
	labels, annotations map[string]string
}

// readTraced resolves the query's kind with the client's RESTMapper and
// reads the object, its metadata only for a Secret, so that Secret data is
// never read. The code goes with the error.
func (s *Server) readTraced(ctx context.Context, c client.Client, q *traceQuery) (*readObject, int, error) {
	mapping, err := trace.ResolveKind(c.RESTMapper(), q.APIVersion, q.Kind)
	if err != nil {
		if apimeta.IsNoMatchError(err) {
			return nil, http.StatusNotFound, fmt.Errorf("the cluster has no kind %s in %s; check the kind and the API version or group", q.Kind, trace.GroupName(q.APIVersion))
		}
		s.opts.Log.Error(err, "resolving a kind", "kind", q.Kind, "apiVersion", q.APIVersion)
		return nil, http.StatusInternalServerError, fmt.Errorf("finding kind %s failed: %s", q.Kind, apiMessage(err))
	}
	gvk := mapping.GroupVersionKind
	q.Kind = gvk.Kind
	ns := q.Namespace
	if mapping.Scope.Name() == apimeta.RESTScopeNameRoot {
		ns = ""
	} else if ns == "" {
		return nil, http.StatusBadRequest, fmt.Errorf("%s is namespaced: give the namespace", gvk.Kind)
	}
	what := gvk.Kind + " " + q.Name
	if ns != "" {
		what = gvk.Kind + " " + ns + "/" + q.Name
	}

	var obj client.Object
	secret := gvk.Group == "" && gvk.Kind == "Secret"
	if secret {
		m := &metav1.PartialObjectMetadata{}
		m.SetGroupVersionKind(gvk)
		obj = m
	} else {
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(gvk)
		obj = u
	}
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: q.Name}, obj); err != nil {
		switch {
		case apierrors.IsNotFound(err):
			return nil, http.StatusNotFound, fmt.Errorf("%s does not exist", what)
		case apierrors.IsForbidden(err):
			return nil, http.StatusForbidden, fmt.Errorf("you may not read %s: %s", what, apiMessage(err))
		}
		s.opts.Log.Error(err, "reading an object to trace", "object", what)
		return nil, http.StatusInternalServerError, fmt.Errorf("reading %s failed: %s", what, apiMessage(err))
	}
	t := &tracedObject{
		APIVersion: gvk.GroupVersion().String(), Kind: gvk.Kind, Namespace: ns, Name: q.Name,
		Created: obj.GetCreationTimestamp().Time, MetadataOnly: secret,
	}
	for _, key := range trace.ManagerLabels {
		if v, ok := obj.GetLabels()[key]; ok {
			t.Labels = append(t.Labels, field{Name: key, Value: v})
		}
	}
	for _, key := range trace.ManagerAnnotations {
		if v, ok := obj.GetAnnotations()[key]; ok {
			t.Labels = append(t.Labels, field{Name: key, Value: v})
		}
	}
	return &readObject{traced: t, labels: obj.GetLabels(), annotations: obj.GetAnnotations()}, 0, nil
}

// managerOf is trace.ManagerOf over the cache, among the managers the
// user may see.
func (s *Server) managerOf(ctx context.Context, visible Filter, labels, annotations map[string]string) (ref, string, bool) {
	m, via, ok, err := trace.ManagerOf(ctx, s.opts.Reader, visible.Allows, labels, annotations)
	if err != nil {
		s.opts.Log.Error(err, "finding the manager of an object to trace")
	}
	return ref(m), via, ok
}

// traceStep reads the manager m and its sources from the cache, unless
// the user may not see it.
func (s *Server) traceStep(ctx context.Context, visible Filter, m ref, via string) traceStep {
	step := traceStep{ref: m, Via: via}
	if step.Hidden = !visible.Allows(m.Kind, m.Namespace); step.Hidden {
		return step
	}
	k := kindNamed(m.Kind)
	obj := k.newObject()
	if err := s.opts.Reader.Get(ctx, client.ObjectKey{Namespace: m.Namespace, Name: m.Name}, obj); err != nil {
		if !apierrors.IsNotFound(err) {
			s.opts.Log.Error(err, "reading a manager to trace", "kind", m.Kind, "namespace", m.Namespace, "name", m.Name)
		}
		return step
	}
	step.Found, step.Row = true, rowOf(k, obj)
	switch o := obj.(type) {
	case *kustomizev1.Kustomization:
		step.Path = orDefault(o.Spec.Path, "./")
	case *helmv2.HelmRelease:
		if c := o.Spec.Chart; c != nil {
			step.Chart = strings.TrimSpace(c.Spec.Chart + " " + c.Spec.Version)
		}
	}
	for _, src := range k.sourceRefs(obj) {
		step.Sources = append(step.Sources, s.traceSource(ctx, visible, src))
	}
	return step
}

// traceSource reads one source from the cache: its state, revision, URL
// (the password masked) and reference.
func (s *Server) traceSource(ctx context.Context, visible Filter, src ref) traceSource {
	t := traceSource{ref: src}
	k := kindNamed(src.Kind)
	if k == nil {
		t.Message = "ferry's UI does not read " + src.Kind + " objects yet"
		return t
	}
	t.Kind = k.name
	if !visible.Allows(k.name, src.Namespace) {
		t.Message = "not shown: you may not list " + k.plural + " in " + src.Namespace
		return t
	}
	obj := k.newObject()
	if err := s.opts.Reader.Get(ctx, client.ObjectKey{Namespace: src.Namespace, Name: src.Name}, obj); err != nil {
		t.Message = "not found"
		if !apierrors.IsNotFound(err) {
			t.Message = "cannot be read: " + err.Error()
		}
		return t
	}
	t.Found, t.Row, t.Link = true, rowOf(k, obj), objectPath(k.name, src.Namespace, src.Name)
	u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return t
	}
	spec, _ := redact(u["spec"]).(map[string]any)
	if v, ok := spec["url"].(string); ok {
		t.URL = v
	}
	if ref, ok := spec["ref"].(map[string]any); ok {
		var parts []string
		for key, v := range ref {
			if str, ok := v.(string); ok && str != "" {
				parts = append(parts, key+" "+str)
			}
		}
		sort.Strings(parts)
		t.Ref = strings.Join(parts, ", ")
	}
	if chart, ok := spec["chart"].(string); ok {
		version, _ := spec["version"].(string)
		t.Ref = strings.TrimSpace("chart " + chart + " " + version)
	}
	return t
}
