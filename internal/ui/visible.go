package ui

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"

	apimeta "k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Views limited to what the user may read: Options.Visible returns, per
// request, a Filter of (kind, namespace). Server.rows applies it, so
// every page that reads objects through rows or allRows (the overview,
// the lists and their namespace choices, the search, an object's
// consumers) shows only the visible ones; getObject answers a hidden
// object with the 404 of a missing one, so that its existence does not
// leak; sourceLink links no hidden source and does not say whether it
// exists; /live names a kind only when a visible object of it changed;
// /notifications shows the outcomes of visible Alerts. A page that reads
// objects another way calls s.visible(r) and asks the Filter.

// Filter says whether the user of a request may see the objects of a
// kind (its name, "Kustomization") in a namespace. A nil Filter shows
// everything.
type Filter func(kind, namespace string) bool

// Allows reports whether f shows the objects of kind in namespace.
func (f Filter) Allows(kind, namespace string) bool { return f == nil || f(kind, namespace) }

// Restricted reports whether f may hide something.
func (f Filter) Restricted() bool { return f != nil }

// visibility is the Filter of one request, asked of Options.Visible once,
// when the request first needs it.
type visibility struct {
	once sync.Once
	ask  func() (Filter, error)
	f    Filter
	err  error
}

type visibilityKey struct{}

// errNoVisibility is a read outside a request that Handler served: with
// Options.Visible set, nothing is shown that was not filtered.
var errNoVisibility = errors.New("ui: no request to check the user's access for")

// withVisibility attaches the request's Filter, computed when first
// needed, to its context; Handler does it for every request.
func (s *Server) withVisibility(r *http.Request) *http.Request {
	if s.opts.Visible == nil {
		return r
	}
	v := &visibility{ask: func() (Filter, error) {
		f, err := s.opts.Visible(r)
		return f, err
	}}
	return r.WithContext(context.WithValue(r.Context(), visibilityKey{}, v))
}

// visible returns what the user of r may see; a nil Filter (no
// Options.Visible, or a user who may read everything) shows everything.
// It is asked once per request. Every page that shows objects it does
// not read through rows or getObject asks it.
func (s *Server) visible(r *http.Request) (Filter, error) { return s.visibleIn(r.Context()) }

// visibleIn is visible for the context of a request Handler served.
func (s *Server) visibleIn(ctx context.Context) (Filter, error) {
	if s.opts.Visible == nil {
		return nil, nil
	}
	v, _ := ctx.Value(visibilityKey{}).(*visibility)
	if v == nil {
		return nil, errNoVisibility
	}
	v.once.Do(func() {
		v.f, v.err = v.ask()
		if v.err != nil {
			v.err = fmt.Errorf("checking what you may read: %w", v.err)
		}
	})
	return v.f, v.err
}

// KindResources are the kinds the UI shows, by name ("Kustomization"),
// with the API group and resource RBAC names them by, for the reviews of
// a Visible hook.
func KindResources() map[string]schema.GroupResource {
	out := make(map[string]schema.GroupResource, len(kinds))
	for _, k := range kinds {
		out[k.name] = schema.GroupResource{Group: k.gvk.Group, Resource: strings.ToLower(k.plural)}
	}
	return out
}

// Namespaces returns, for each kind the UI shows, the namespaces that
// hold objects of it in Options.Reader, sorted: the namespaces a Visible
// hook reviews. It reads the cache without copying the objects, and sees
// everything (it is what the filter is made from).
func (s *Server) Namespaces(ctx context.Context) (map[string][]string, error) {
	out := make(map[string][]string, len(kinds))
	for _, k := range kinds {
		list := k.newList()
		if err := s.opts.Reader.List(ctx, list, client.UnsafeDisableDeepCopy); err != nil {
			return nil, fmt.Errorf("listing %s: %w", k.plural, err)
		}
		items, err := apimeta.ExtractList(list)
		if err != nil {
			return nil, err
		}
		seen := map[string]bool{}
		for _, item := range items {
			if o, ok := item.(client.Object); ok && !seen[o.GetNamespace()] {
				seen[o.GetNamespace()] = true
				out[k.name] = append(out[k.name], o.GetNamespace())
			}
		}
		sort.Strings(out[k.name])
	}
	return out, nil
}

// readAccessHint is the empty state of a user who may see nothing: what
// RBAC gives them a namespace's objects.
const readAccessHint = "kubectl create rolebinding flux-view --clusterrole=view --namespace=NAMESPACE --user=USER (or --serviceaccount=NAMESPACE:NAME)"
