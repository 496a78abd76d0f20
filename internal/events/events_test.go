package events

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/record"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
)

func testScheme(t *testing.T) *runtime.Scheme {
	t.Helper()
	s := runtime.NewScheme()
	if err := sourcev1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	if err := kustomizev1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRecorder(t *testing.T) {
	kube := record.NewFakeRecorder(10)
	kube.IncludeObject = true
	bus := NewBus()
	events, cancel := bus.Subscribe(10)
	defer cancel()
	r := NewRecorder(kube, testScheme(t), "kustomize-controller", "ferry-0", bus)
	r.now = func() time.Time { return time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC) }
	ks := &kustomizev1.Kustomization{ObjectMeta: metav1.ObjectMeta{Namespace: "apps", Name: "web", UID: "u1"}}

	r.Normal(ks, "ReconciliationSucceeded", "Applied revision: main@sha1:abc", map[string]string{MetaRevision: "main@sha1:abc", MetaToken: ""})
	r.Warning(ks, "BuildFailed", "build failed", nil)
	r.Event(ks, SeverityTrace, "Progressing", "Deployment/apps/web configured", nil)

	// Kubernetes: Normal and Warning, annotated under the object's group; no trace.
	got := []string{<-kube.Events, <-kube.Events}
	if !strings.HasPrefix(got[0], "Normal ReconciliationSucceeded Applied revision: main@sha1:abc") ||
		!strings.Contains(got[0], "map[kustomize.toolkit.fluxcd.io/revision:main@sha1:abc]") {
		t.Errorf("Kubernetes event %q", got[0])
	}
	if !strings.HasPrefix(got[1], "Warning BuildFailed build failed") {
		t.Errorf("Kubernetes event %q", got[1])
	}
	select {
	case e := <-kube.Events:
		t.Errorf("a trace event reached Kubernetes: %q", e)
	default:
	}

	// The bus: all three, in Flux's shape, metadata without prefix and without empty values.
	first := <-events
	if first.Severity != SeverityInfo || first.Reason != "ReconciliationSucceeded" ||
		first.InvolvedObject.Kind != "Kustomization" || first.InvolvedObject.APIVersion != "kustomize.toolkit.fluxcd.io/v1" ||
		first.InvolvedObject.Namespace != "apps" || first.InvolvedObject.Name != "web" || first.InvolvedObject.UID != "u1" ||
		first.ReportingController != "kustomize-controller" || first.ReportingInstance != "ferry-0" ||
		len(first.Metadata) != 1 || first.Metadata[MetaRevision] != "main@sha1:abc" || first.Timestamp.IsZero() {
		t.Errorf("bus event %+v", first)
	}
	if e := <-events; e.Severity != SeverityError || e.Metadata != nil {
		t.Errorf("bus event %+v", e)
	}
	if e := <-events; e.Severity != SeverityTrace {
		t.Errorf("bus event %+v", e)
	}

	// A source's event carries the source group.
	r.Normal(&sourcev1.GitRepository{ObjectMeta: metav1.ObjectMeta{Name: "repo"}}, "NewArtifact", "stored", map[string]string{MetaDigest: "sha256:1"})
	if e := <-kube.Events; !strings.Contains(e, "source.toolkit.fluxcd.io/digest:sha256:1") {
		t.Errorf("Kubernetes event %q", e)
	}
	if e := <-events; e.InvolvedObject.APIVersion != "source.toolkit.fluxcd.io/v1" {
		t.Errorf("bus event %+v", e)
	}
}

func TestNilRecorder(t *testing.T) {
	var r *Recorder
	r.Normal(&kustomizev1.Kustomization{}, "x", "y", nil) // must not panic
	NewRecorder(nil, nil, "c", "", nil).Warning(&kustomizev1.Kustomization{}, "x", "y", nil)
}

func TestBusNeverBlocks(t *testing.T) {
	bus := NewBus()
	slow, cancelSlow := bus.Subscribe(1)
	fast, cancelFast := bus.Subscribe(10)
	r := NewRecorder(nil, testScheme(t), "c", "", bus)
	for range 3 {
		r.Normal(&kustomizev1.Kustomization{}, "x", "y", nil)
	}
	if bus.Dropped() != 2 {
		t.Errorf("Dropped = %d, want 2", bus.Dropped())
	}
	if len(slow) != 1 || len(fast) != 3 {
		t.Errorf("buffered %d and %d, want 1 and 3", len(slow), len(fast))
	}
	cancelSlow()
	cancelSlow() // twice is harmless
	if _, ok := <-slow; !ok {
		t.Error("the buffered event was lost on cancel")
	}
	if _, ok := <-slow; ok {
		t.Error("the channel is not closed after cancel")
	}
	r.Normal(&kustomizev1.Kustomization{}, "x", "y", nil) // no send on a closed channel
	cancelFast()
}

// TestAnnotationMetadata: an object's event.toolkit.fluxcd.io/ annotations
// become metadata of every event about it; the controller's keys win.
func TestAnnotationMetadata(t *testing.T) {
	bus := NewBus()
	events, cancel := bus.Subscribe(1)
	defer cancel()
	r := NewRecorder(nil, testScheme(t), "kustomize-controller", "", bus)
	ks := &kustomizev1.Kustomization{ObjectMeta: metav1.ObjectMeta{Namespace: "apps", Name: "web", Annotations: map[string]string{
		"event.toolkit.fluxcd.io/team":     "payments",
		"event.toolkit.fluxcd.io/revision": "not this",
		"other.example/team":               "ignored",
	}}}
	r.Normal(ks, "ReconciliationSucceeded", "m", map[string]string{MetaRevision: "main@sha1:abc"})
	e := <-events
	if len(e.Metadata) != 2 || e.Metadata["team"] != "payments" || e.Metadata[MetaRevision] != "main@sha1:abc" {
		t.Errorf("metadata = %v", e.Metadata)
	}
}

// TestRepeatedWarningWrittenOnce: a failure retried with the same message
// (the API server away, every retry refused) is one Kubernetes Event per
// RepeatWindow, while the bus still receives each; another message, another
// object, a reconcile request, a new generation or the end of the window
// write again.
func TestRepeatedWarningWrittenOnce(t *testing.T) {
	kube := record.NewFakeRecorder(100)
	bus := NewBus()
	events, cancel := bus.Subscribe(100)
	defer cancel()
	r := NewRecorder(kube, testScheme(t), "kustomize-controller", "", bus)
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	r.now = func() time.Time { return now }
	web := &kustomizev1.Kustomization{ObjectMeta: metav1.ObjectMeta{Namespace: "apps", Name: "web", UID: "u1"}}
	db := &kustomizev1.Kustomization{ObjectMeta: metav1.ObjectMeta{Namespace: "apps", Name: "db", UID: "u2"}}

	for range 10 {
		r.Warning(web, "ReconciliationFailed", "connection refused", nil)
		now = now.Add(2 * time.Second)
	}
	r.Warning(web, "ReconciliationFailed", "build failed", nil)
	r.Warning(db, "ReconciliationFailed", "connection refused", nil)
	r.Normal(web, "ReconciliationSucceeded", "applied", nil)
	r.Normal(web, "ReconciliationSucceeded", "applied", nil)
	web.Annotations = map[string]string{"reconcile.fluxcd.io/requestedAt": "now"}
	r.Warning(web, "ReconciliationFailed", "connection refused", nil)
	web.Generation = 2
	r.Warning(web, "ReconciliationFailed", "connection refused", nil)
	r.Warning(web, "ReconciliationFailed", "connection refused", nil)
	now = now.Add(RepeatWindow)
	r.Warning(web, "ReconciliationFailed", "connection refused", nil)

	var got []string
	for len(kube.Events) > 0 {
		got = append(got, <-kube.Events)
	}
	want := []string{
		"Warning ReconciliationFailed connection refused",
		"Warning ReconciliationFailed build failed",
		"Warning ReconciliationFailed connection refused",
		"Normal ReconciliationSucceeded applied",
		"Normal ReconciliationSucceeded applied",
		"Warning ReconciliationFailed connection refused",
		"Warning ReconciliationFailed connection refused",
		"Warning ReconciliationFailed connection refused",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Kubernetes events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if n := len(events); n != 18 {
		t.Errorf("the bus received %d events, want all 18", n)
	}
}
