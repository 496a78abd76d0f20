package ui

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/fluxcd/cli-utils/pkg/kstatus/status"
	"github.com/fluxcd/cli-utils/pkg/object"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// The bounds of a health page: it reads each object live, so that it
// costs the API server one GET per object; the object page itself reads
// nothing live and loads this page after its first paint.
const (
	// maxHealth is how many objects of the tree one page reads.
	maxHealth = 500
	// healthParallel is how many reads are in flight at once.
	healthParallel = 8
	// healthTimeout bounds the whole page's reads.
	healthTimeout = 10 * time.Second
)

// healthForbidden is the label of an object the user may not read.
const healthForbidden = "not allowed to read"

// healthPage is the data of the health page of a Kustomization's or
// HelmRelease's inventory tree.
type healthPage struct {
	row
	// Entries are the tree's objects, the object's own inventory first,
	// at most maxHealth.
	Entries []healthEntry
	// Total is how many distinct objects the tree holds; Truncated says
	// it is more than Entries.
	Total     int
	Truncated bool
	// Max is maxHealth, for the template.
	Max int
	// Refused says why nothing was read.
	Refused string
}

// healthEntry is one object's health.
type healthEntry struct {
	// ID is the inventory ID, matching the object page's badge.
	ID string
	// Kind is the kind with its group ("Deployment.apps").
	Kind            string
	Namespace, Name string
	// Path is its page when the UI shows its kind, Trace its trace page
	// otherwise.
	Path, Trace string
	// Label is the kstatus status (Current, InProgress, Failed,
	// Terminating, NotFound, Unknown) or healthForbidden; Class the
	// badge's style; Message why.
	Label, Class, Message string

	id      object.ObjMetadata
	version string
}

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	k, obj, ok := s.getObject(w, r)
	if !ok {
		return
	}
	inv, ok := inventoryOfObject(obj)
	if !ok {
		s.fail(w, r, http.StatusNotFound, "No inventory", fmt.Sprintf("A %s applies nothing, so it has no health page; Kustomizations and HelmReleases have one.", k.name))
		return
	}

	// Collect the tree's objects from the cache, nearest first.
	tree := inventoryOf(inv)
	s.growTree(r.Context(), tree, 1, map[string]bool{objectID(k, obj): true})
	p := healthPage{row: rowOf(k, obj), Max: maxHealth}
	seen := map[string]bool{}
	tree.walk(func(e *inventoryEntry) {
		if seen[e.ID] {
			return
		}
		seen[e.ID] = true
		p.Total++
		if len(p.Entries) < maxHealth {
			p.Entries = append(p.Entries, healthEntry{
				ID: e.ID, Kind: e.id.GroupKind.String(), Namespace: e.Namespace, Name: e.Name, Path: e.Path, Trace: e.Trace,
				id: e.id, version: e.Version,
			})
		}
	})
	p.Truncated = p.Total > len(p.Entries)
	title := "Health of " + k.name + " " + obj.GetNamespace() + "/" + obj.GetName()
	// The page names no kind to refresh on: each load costs the API server
	// a read per object, so it is read again only when asked.
	pg := page{Title: title, Nav: k.name, LiveKinds: "none", Data: &p}

	// Read them as the user, so that RBAC decides what they see.
	if s.opts.Actions == nil {
		p.Refused = "This UI is read-only: it has no identity of yours to read the objects with, so it shows no health."
		s.render(w, r, http.StatusForbidden, "health", pg)
		return
	}
	c, _, err := s.opts.Actions(r)
	if err != nil {
		p.Refused = "The objects cannot be read as you: " + err.Error()
		s.render(w, r, http.StatusForbidden, "health", pg)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), healthTimeout)
	defer cancel()
	readHealth(ctx, c, p.Entries)
	s.render(w, r, http.StatusOK, "health", pg)
}

// readHealth fills each entry's health, healthParallel reads at a time.
func readHealth(ctx context.Context, c client.Client, entries []healthEntry) {
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(healthParallel, len(entries)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				e := &entries[i]
				e.Label, e.Message = healthOf(ctx, c, e.id, e.version)
				e.Class = strings.ToLower(e.Label)
				if e.Label == healthForbidden {
					e.Class = "forbidden"
				}
			}
		}()
	}
	for i := range entries {
		next <- i
	}
	close(next)
	wg.Wait()
}

// healthOf reads the object o live and says its kstatus status and
// message. A Secret is read as metadata only, so its data never leaves
// the API server: it is Current when it exists.
func healthOf(ctx context.Context, c client.Client, o object.ObjMetadata, version string) (string, string) {
	key := client.ObjectKey{Namespace: o.Namespace, Name: o.Name}
	if o.GroupKind == (schema.GroupKind{Kind: "Secret"}) {
		m := &metav1.PartialObjectMetadata{}
		m.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Secret"))
		if err := c.Get(ctx, key, m); err != nil {
			return healthErr(ctx, err)
		}
		if m.DeletionTimestamp != nil {
			return string(status.TerminatingStatus), "the Secret is being deleted"
		}
		return string(status.CurrentStatus), "the Secret exists (its data is not read)"
	}
	gvk := o.GroupKind.WithVersion(version)
	if version == "" {
		m, err := c.RESTMapper().RESTMapping(o.GroupKind)
		if err != nil {
			return healthErr(ctx, err)
		}
		gvk = m.GroupVersionKind
	}
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(gvk)
	if err := c.Get(ctx, key, u); err != nil {
		return healthErr(ctx, err)
	}
	res, err := status.Compute(u)
	if err != nil {
		return string(status.UnknownStatus), "kstatus cannot compute its status: " + err.Error()
	}
	return string(res.Status), res.Message
}

// healthErr is the health of an object whose read failed with err.
func healthErr(ctx context.Context, err error) (string, string) {
	switch {
	case apierrors.IsNotFound(err):
		return string(status.NotFoundStatus), "it does not exist"
	case apimeta.IsNoMatchError(err):
		return string(status.NotFoundStatus), "the API server does not serve its kind: " + err.Error()
	case apierrors.IsForbidden(err):
		return healthForbidden, apiMessage(err)
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return string(status.UnknownStatus), fmt.Sprintf("not read within %s", healthTimeout)
	}
	return string(status.UnknownStatus), apiMessage(err)
}
