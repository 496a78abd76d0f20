package events

import (
	"maps"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/record"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"

	"github.com/ferrycd/ferry/api/meta"
)

// Severities of an event, Flux's.
const (
	SeverityInfo  = "info"
	SeverityError = "error"
	SeverityTrace = "trace"
)

// Metadata keys Flux's controllers set; a Kubernetes Event carries them
// prefixed with the object's API group.
const (
	MetaRevision       = "revision"
	MetaDigest         = "digest"
	MetaOriginRevision = "originRevision"
	MetaToken          = "token"
	MetaCommitStatus   = "commit_status"
)

// AnnotationPrefix marks the annotations of an object that every event
// about it carries as metadata (without the prefix), as in Flux.
const AnnotationPrefix = "event.toolkit.fluxcd.io/"

// CommitStatusUpdate is the value of MetaCommitStatus on the event that
// ends a reconciliation of a revision ("Reconciliation finished").
const CommitStatusUpdate = "update"

// Event is one event about an object, in the JSON shape of Flux's
// eventv1.Event that notification providers receive.
type Event struct {
	InvolvedObject      corev1.ObjectReference `json:"involvedObject"`
	Severity            string                 `json:"severity"`
	Timestamp           metav1.Time            `json:"timestamp"`
	Message             string                 `json:"message"`
	Reason              string                 `json:"reason"`
	Metadata            map[string]string      `json:"metadata,omitempty"`
	ReportingController string                 `json:"reportingController"`
	ReportingInstance   string                 `json:"reportingInstance,omitempty"`
}

// Bus hands every event to the subscribers in this process. Publishing
// never blocks a controller: a subscriber whose buffer is full misses the
// event, and Dropped counts it.
type Bus struct {
	mu      sync.RWMutex
	subs    map[int]chan *Event
	next    int
	dropped atomic.Int64
}

// NewBus returns a bus without subscribers.
func NewBus() *Bus {
	return &Bus{subs: map[int]chan *Event{}}
}

// Subscribe returns a channel that receives every event published from now
// on, buffered for buffer events, and the function that ends the
// subscription and closes the channel. Every subscriber receives the same
// *Event: it must not change it. (A buffer of pointers costs 8 bytes an
// entry whether used or not; of Events it would cost 240.)
func (b *Bus) Subscribe(buffer int) (<-chan *Event, func()) {
	ch := make(chan *Event, buffer)
	b.mu.Lock()
	id := b.next
	b.next++
	b.subs[id] = ch
	b.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			b.mu.Lock()
			delete(b.subs, id)
			b.mu.Unlock()
			close(ch)
		})
	}
}

// Dropped returns how many deliveries missed a subscriber whose buffer was
// full.
func (b *Bus) Dropped() int64 { return b.dropped.Load() }

func (b *Bus) publish(e Event) {
	if b == nil {
		return
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	for _, ch := range b.subs {
		select {
		case ch <- &e:
		default:
			b.dropped.Add(1)
		}
	}
}

// Recorder records the events of one controller. A nil *Recorder records
// nothing.
type Recorder struct {
	kube       record.EventRecorder
	scheme     *runtime.Scheme
	controller string
	instance   string
	bus        *Bus
	now        func() time.Time

	// repeats holds when each failure was last written as a Kubernetes
	// Event, so that the same failure retried while the cause lasts (the
	// API server away, a registry down) is written once per RepeatWindow.
	mu      sync.Mutex
	repeats map[repeatKey]time.Time
}

// RepeatWindow is how long a Warning of the same object, reason and
// message is not written again as a Kubernetes Event. Subscribers of the
// bus still receive every one (notifications have their own limits).
const RepeatWindow = 5 * time.Minute

// maxRepeats bounds the failures remembered; past it the expired ones are
// forgotten, then all.
const maxRepeats = 10000

// repeatKey is a failure of one object: a new spec (generation), a new
// reconcile request or another revision is another failure.
type repeatKey struct {
	object     string
	generation int64
	request    string
	revision   string
	reason     string
	message    string
}

// repeated reports whether the Warning k was written within RepeatWindow,
// and remembers it as written now otherwise.
func (r *Recorder) repeated(k repeatKey) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	if last, ok := r.repeats[k]; ok && now.Sub(last) < RepeatWindow {
		return true
	}
	if r.repeats == nil {
		r.repeats = map[repeatKey]time.Time{}
	}
	if len(r.repeats) >= maxRepeats {
		for key, last := range r.repeats {
			if now.Sub(last) >= RepeatWindow {
				delete(r.repeats, key)
			}
		}
		if len(r.repeats) >= maxRepeats {
			clear(r.repeats)
		}
	}
	r.repeats[k] = now
	return false
}

// NewRecorder returns the recorder of the controller named controller
// (Flux's name: "source-controller", "kustomize-controller"). kube, if set,
// receives Kubernetes Events; scheme resolves the API group of typed
// objects; bus, if set, receives every event; instance names the process
// (the pod), as Flux's reportingInstance.
func NewRecorder(kube record.EventRecorder, scheme *runtime.Scheme, controller, instance string, bus *Bus) *Recorder {
	return &Recorder{kube: kube, scheme: scheme, controller: controller, instance: instance, bus: bus, now: time.Now}
}

// Normal records an informational event (severity info).
func (r *Recorder) Normal(obj client.Object, reason, message string, metadata map[string]string) {
	r.Event(obj, SeverityInfo, reason, message, metadata)
}

// Warning records a failure (severity error). The same failure of the
// same object, retried on its own (same generation, reconcile request,
// revision, reason and message), is written as a Kubernetes Event once per
// RepeatWindow.
func (r *Recorder) Warning(obj client.Object, reason, message string, metadata map[string]string) {
	r.Event(obj, SeverityError, reason, message, metadata)
}

// Event records an event of the given severity with metadata (keys without
// the group prefix; empty values are left out). Trace events reach only the
// bus.
func (r *Recorder) Event(obj client.Object, severity, reason, message string, metadata map[string]string) {
	if r == nil {
		return
	}
	md := map[string]string{}
	// The object's event annotations first, so what the controller says
	// wins, as in Flux's recorder (RFC 0008).
	for k, v := range obj.GetAnnotations() {
		if key, ok := strings.CutPrefix(k, AnnotationPrefix); ok && key != "" && v != "" {
			md[key] = v
		}
	}
	for k, v := range metadata {
		if v != "" {
			md[k] = v
		}
	}
	gvk := obj.GetObjectKind().GroupVersionKind()
	if r.scheme != nil {
		if g, err := apiutil.GVKForObject(obj, r.scheme); err == nil {
			gvk = g
		}
	}
	object := string(obj.GetUID())
	if object == "" {
		object = gvk.Kind + "/" + obj.GetNamespace() + "/" + obj.GetName()
	}
	if r.kube != nil && severity != SeverityTrace &&
		(severity != SeverityError || !r.repeated(repeatKey{
			object: object, generation: obj.GetGeneration(), request: obj.GetAnnotations()[meta.ReconcileRequestAnnotation],
			revision: md[MetaRevision], reason: reason, message: message,
		})) {
		eventType := corev1.EventTypeNormal
		if severity == SeverityError {
			eventType = corev1.EventTypeWarning
		}
		var annotations map[string]string
		if len(md) > 0 {
			annotations = make(map[string]string, len(md))
			for k, v := range md {
				annotations[gvk.Group+"/"+k] = v
			}
		}
		r.kube.AnnotatedEventf(obj, annotations, eventType, reason, "%s", message)
	}
	e := Event{
		InvolvedObject: corev1.ObjectReference{
			APIVersion:      gvk.GroupVersion().String(),
			Kind:            gvk.Kind,
			Namespace:       obj.GetNamespace(),
			Name:            obj.GetName(),
			UID:             obj.GetUID(),
			ResourceVersion: obj.GetResourceVersion(),
		},
		Severity:            severity,
		Timestamp:           metav1.NewTime(r.now()),
		Message:             message,
		Reason:              reason,
		ReportingController: r.controller,
		ReportingInstance:   r.instance,
	}
	if len(md) > 0 {
		e.Metadata = maps.Clone(md)
	}
	r.bus.publish(e)
}
