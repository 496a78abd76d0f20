package ui

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/fluxcd/cli-utils/pkg/object"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	helmv2 "github.com/ferrycd/ferry/api/helm/v2"
	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	notificationv1beta3 "github.com/ferrycd/ferry/api/notification/v1beta3"
)

// objectPage is the data of one object's page.
type objectPage struct {
	row
	Conditions []metav1.Condition
	// Status are the scalar fields of the status (revisions,
	// lastHandledReconcileAt, ...), and those of its artifact.
	Status []field
	// History is a HelmRelease's release history, newest first.
	History helmv2.Snapshots
	// Spec is the spec as YAML.
	Spec string
	// Sources are the sources the object reads, with whether they exist.
	Sources []sourceLink
	// Consumers are the objects that read this one, for a source.
	Consumers []row
	// Inventory is what a Kustomization or HelmRelease applied; nil for
	// other kinds.
	Inventory *inventory
	// DependsOn are the objects spec.dependsOn names, and NeededBy the
	// Kustomizations and HelmReleases whose dependsOn names this one;
	// Dependencies says the kind has a dependsOn (see deps.go).
	DependsOn    []dependency
	NeededBy     []row
	Dependencies bool
	// Events are the object's Kubernetes Events, newest first; EventsErr
	// says why they could not be read.
	Events    []corev1.Event
	EventsErr string
	// Deliveries are a Provider's last notifications.
	Deliveries []notificationv1beta3.Delivery
	// Log is the reconciler's newest log lines of the object (logs.go).
	Log logView
	// Done names the action just performed (after its redirect).
	Done string
	// WithSource says reconcile can ask the sources first; HelmRelease
	// adds force and reset.
	WithSource, HelmRelease bool
}

// field is one status field.
type field struct{ Name, Value string }

// sourceLink is one source of the object.
type sourceLink struct {
	ref
	Path   string
	Exists bool
	// Hidden says the user may not see it (visible.go).
	Hidden bool
}

// maxEvents bounds the events on an object page.
const maxEvents = 50

func (s *Server) object(w http.ResponseWriter, r *http.Request) {
	k, obj, ok := s.getObject(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	p := objectPage{
		row:         rowOf(k, obj),
		Conditions:  obj.GetConditions(),
		Done:        doneMessages[r.URL.Query().Get("done")],
		WithSource:  k.sourceRefs != nil,
		HelmRelease: k.name == helmv2.HelmReleaseKind,
	}
	u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		s.listErr(w, r, err)
		return
	}
	if spec, ok := u["spec"]; ok {
		data, err := yaml.Marshal(redact(spec))
		if err != nil {
			s.listErr(w, r, err)
			return
		}
		p.Spec = string(data)
	}
	p.Status = statusFields(u)

	// Read what is kind-specific.
	switch o := obj.(type) {
	case *kustomizev1.Kustomization:
		p.Inventory = inventoryOf(o.Status.Inventory)
	case *helmv2.HelmRelease:
		p.Inventory = inventoryOf(o.Status.Inventory)
		p.History = o.Status.History
	case *notificationv1beta3.Provider:
		p.Deliveries = o.Status.Deliveries
	}
	if p.Inventory != nil {
		s.growTree(ctx, p.Inventory, 1, map[string]bool{objectID(k, obj): true})
	}
	if p.Dependencies = hasDependsOn(obj); p.Dependencies {
		if p.DependsOn, p.NeededBy, err = s.dependencies(ctx, k, obj); err != nil {
			s.listErr(w, r, err)
			return
		}
	}
	if k.sourceRefs != nil {
		for _, src := range k.sourceRefs(obj) {
			p.Sources = append(p.Sources, s.sourceLink(ctx, src))
		}
	}
	if k.source {
		if p.Consumers, err = s.consumers(ctx, ref{Kind: k.name, Namespace: obj.GetNamespace(), Name: obj.GetName()}); err != nil {
			s.listErr(w, r, err)
			return
		}
	}
	p.Log = s.objectLogSection(k, obj)
	p.Events, err = s.events(ctx, k, obj)
	if err != nil {
		s.opts.Log.Error(err, "reading events", "path", r.URL.Path)
		p.EventsErr = err.Error()
	}
	title := k.name + " " + obj.GetNamespace() + "/" + obj.GetName()
	s.render(w, r, http.StatusOK, "object", page{Title: title, Nav: k.name, LiveKinds: k.name, Data: p})
}

// doneMessages are what the page says after an action's redirect.
var doneMessages = map[string]string{
	actionReconcile: "Reconciliation requested.",
	actionSuspend:   "Suspended.",
	actionResume:    "Resumed, and a reconciliation requested.",
}

// redact masks the password of every URL in v (a spec read generically),
// so that a URL written with credentials never reaches the browser.
func redact(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			v[k] = redact(e)
		}
	case []any:
		for i, e := range v {
			v[i] = redact(e)
		}
	case string:
		if strings.Contains(v, "://") && strings.Contains(v, "@") {
			if u, err := url.Parse(v); err == nil && u.User != nil {
				u.User = url.User("redacted")
				return u.String()
			}
		}
	}
	return v
}

// getObject reads the object the path names, or answers 404.
func (s *Server) getObject(w http.ResponseWriter, r *http.Request) (*kind, conditioned, bool) {
	k := kindNamed(r.PathValue("kind"))
	if k == nil {
		s.fail(w, r, http.StatusNotFound, "Unknown kind", "ferry's UI shows no kind named "+r.PathValue("kind")+".")
		return nil, nil, false
	}
	ns, name := r.PathValue("namespace"), r.PathValue("name")
	visible, err := s.visible(r)
	if err != nil {
		s.listErr(w, r, err)
		return nil, nil, false
	}
	obj := k.newObject()
	// A hidden object is answered as a missing one, so that its existence
	// does not leak.
	err = errHidden
	if visible.Allows(k.name, ns) {
		err = s.opts.Reader.Get(r.Context(), client.ObjectKey{Namespace: ns, Name: name}, obj)
	}
	if err != nil {
		if apierrors.IsNotFound(err) || errors.Is(err, errHidden) {
			s.fail(w, r, http.StatusNotFound, "Not found", fmt.Sprintf("%s %s/%s does not exist.", k.name, ns, name))
			return nil, nil, false
		}
		s.listErr(w, r, err)
		return nil, nil, false
	}
	return k, obj, true
}

// statusFields are the scalar fields of the status, then those of
// status.artifact.
func statusFields(u map[string]any) []field {
	st, _ := u["status"].(map[string]any)
	out := scalars("", st)
	if a, ok := st["artifact"].(map[string]any); ok {
		out = append(out, scalars("artifact.", a)...)
	}
	return out
}

func scalars(prefix string, m map[string]any) []field {
	var out []field
	for key, v := range m {
		switch v.(type) {
		case string, bool, int64, float64:
			out = append(out, field{Name: prefix + key, Value: fmt.Sprint(v)})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// errHidden is an object the user may not see (visible.go).
var errHidden = errors.New("hidden")

// sourceLink checks that the source exists, as a missing source is a
// common reason for a failure; a source the user may not see is neither
// linked nor checked (Hidden).
func (s *Server) sourceLink(ctx context.Context, src ref) sourceLink {
	l := sourceLink{ref: src}
	k := kindNamed(src.Kind)
	if k == nil {
		return l
	}
	l.Kind = k.name
	if visible, err := s.visibleIn(ctx); err != nil || !visible.Allows(k.name, src.Namespace) {
		l.Hidden = true
		return l
	}
	l.Path = objectPath(k.name, src.Namespace, src.Name)
	l.Exists = s.opts.Reader.Get(ctx, client.ObjectKey{Namespace: src.Namespace, Name: src.Name}, k.newObject()) == nil
	return l
}

// consumers are the objects whose sources include src.
func (s *Server) consumers(ctx context.Context, src ref) ([]row, error) {
	var out []row
	for _, k := range kinds {
		if k.sourceRefs == nil {
			continue
		}
		rows, err := s.rows(ctx, k, "")
		if err != nil {
			return nil, err
		}
		for _, row := range rows {
			for _, r := range k.sourceRefs(row.Object) {
				if r == src {
					out = append(out, row)
					break
				}
			}
		}
	}
	return out, nil
}

// events are obj's Kubernetes Events, newest first. A cache lists them
// from an Events informer, which the first call starts.
func (s *Server) events(ctx context.Context, k *kind, obj client.Object) ([]corev1.Event, error) {
	list := &corev1.EventList{}
	if err := s.opts.Reader.List(ctx, list, client.InNamespace(obj.GetNamespace())); err != nil {
		return nil, fmt.Errorf("listing events: %w", err)
	}
	var out []corev1.Event
	for _, e := range list.Items {
		if e.InvolvedObject.Kind == k.name && e.InvolvedObject.Name == obj.GetName() {
			out = append(out, e)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return eventTime(out[i]).After(eventTime(out[j])) })
	if len(out) > maxEvents {
		out = out[:maxEvents]
	}
	return out, nil
}

// eventTime is when e last happened.
func eventTime(e corev1.Event) time.Time {
	switch {
	case !e.LastTimestamp.IsZero():
		return e.LastTimestamp.Time
	case !e.EventTime.IsZero():
		return e.EventTime.Time
	}
	return e.FirstTimestamp.Time
}

// EventTime is when the event last happened, for the template.
func (objectPage) EventTime(e corev1.Event) time.Time { return eventTime(e) }

// maxInventoryList is the size above which an inventory is shown as
// counts per kind, each kind's entries folded away.
const maxInventoryList = 50

// inventory is what a Kustomization or HelmRelease applied, grouped by
// kind.
type inventory struct {
	Total     int
	Collapsed bool
	Groups    []inventoryGroup
	// Invalid are the entries whose ID could not be read.
	Invalid []string
}

// inventoryGroup is the entries of one kind.
type inventoryGroup struct {
	// Kind is the kind, with its API group unless core ("Deployment.apps").
	Kind    string
	Entries []inventoryEntry
	// Nested says an entry holds its own inventory (tree.go).
	Nested bool
}

// inventoryEntry is one applied object; Path is its page when the UI
// shows its kind (a child Kustomization or HelmRelease).
type inventoryEntry struct {
	Namespace, Name, Path string
	// ID is the inventory's ID, which the health badges are matched by;
	// Version its API version, "" when the inventory does not say.
	ID, Version string
	// The rest is the tree's (tree.go): Trace is the trace page of an
	// object of another kind than ferry's, State the state of one of
	// ferry's, Child a child's own inventory and Note why it is not shown.
	Trace, State, Note string
	Child              *inventory
	id                 object.ObjMetadata
}

// inventoryOf groups inv's entries by kind, kinds and names in order.
func inventoryOf(inv *kustomizev1.ResourceInventory) *inventory {
	out := &inventory{}
	if inv == nil {
		return out
	}
	groups := map[string]*inventoryGroup{}
	for _, e := range inv.Entries {
		id, err := object.ParseObjMetadata(e.ID)
		if err != nil {
			out.Invalid = append(out.Invalid, e.ID)
			continue
		}
		out.Total++
		gk := id.GroupKind.String()
		g := groups[gk]
		if g == nil {
			g = &inventoryGroup{Kind: gk}
			groups[gk] = g
		}
		entry := inventoryEntry{Namespace: id.Namespace, Name: id.Name, ID: e.ID, Version: e.Version, id: id}
		if k := kindNamed(id.GroupKind.Kind); k != nil && k.gvk.Group == id.GroupKind.Group {
			entry.Path = objectPath(k.name, id.Namespace, id.Name)
		}
		g.Entries = append(g.Entries, entry)
	}
	for _, g := range groups {
		sort.Slice(g.Entries, func(i, j int) bool {
			a, b := g.Entries[i], g.Entries[j]
			if a.Namespace != b.Namespace {
				return a.Namespace < b.Namespace
			}
			return a.Name < b.Name
		})
		out.Groups = append(out.Groups, *g)
	}
	sort.Slice(out.Groups, func(i, j int) bool { return out.Groups[i].Kind < out.Groups[j].Kind })
	out.Collapsed = out.Total > maxInventoryList
	return out
}
