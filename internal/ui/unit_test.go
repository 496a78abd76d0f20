package ui

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	helmv2 "github.com/ferrycd/ferry/api/helm/v2"
	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/api/meta"
	notificationv1beta3 "github.com/ferrycd/ferry/api/notification/v1beta3"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/scheme"
)

// TestEveryKindRenders renders the list and an object page of every kind,
// with the kind-specific parts (a HelmRelease's history and sources, a
// Provider's deliveries) filled, from a fake client: the templates have no
// path that fails only at run time.
func TestEveryKindRenders(t *testing.T) {
	now := metav1.NewTime(time.Now().Add(-time.Hour))
	hr := &helmv2.HelmRelease{
		ObjectMeta: metav1.ObjectMeta{Namespace: "apps", Name: "web"},
		Spec: helmv2.HelmReleaseSpec{Chart: &helmv2.HelmChartTemplate{Spec: helmv2.HelmChartTemplateSpec{
			Chart: "podinfo", SourceRef: helmv2.CrossNamespaceObjectReference{Kind: sourcev1.HelmRepositoryKind, Name: "charts"},
		}}},
	}
	hr.Status.History = helmv2.Snapshots{{Version: 2, ChartName: "podinfo", ChartVersion: "6.5.0", AppVersion: "6.5.0", Status: "deployed", LastDeployed: now}}
	hr.Status.Conditions = []metav1.Condition{{Type: meta.ReadyCondition, Status: metav1.ConditionTrue, Reason: "UpgradeSucceeded", Message: "Helm upgrade succeeded", LastTransitionTime: now}}
	provider := &notificationv1beta3.Provider{ObjectMeta: metav1.ObjectMeta{Namespace: "apps", Name: "slack"}}
	provider.Status.Deliveries = []notificationv1beta3.Delivery{{Time: now, Alert: "on-call", InvolvedObject: "Kustomization/apps/web", Reason: "BuildFailed", Result: "Delivered", Attempts: 1}}
	objs := []conditioned{
		&sourcev1.GitRepository{ObjectMeta: metav1.ObjectMeta{Namespace: "apps", Name: "repo"}},
		&sourcev1.HelmRepository{ObjectMeta: metav1.ObjectMeta{Namespace: "apps", Name: "charts"}},
		&sourcev1.HelmChart{ObjectMeta: metav1.ObjectMeta{Namespace: "apps", Name: "apps-web"},
			Spec: sourcev1.HelmChartSpec{Chart: "podinfo", SourceRef: sourcev1.LocalHelmChartSourceReference{Kind: sourcev1.HelmRepositoryKind, Name: "charts"}}},
		&kustomizev1.Kustomization{ObjectMeta: metav1.ObjectMeta{Namespace: "apps", Name: "web"}},
		hr, provider,
		&notificationv1beta3.Alert{ObjectMeta: metav1.ObjectMeta{Namespace: "apps", Name: "on-call"}},
	}
	b := fake.NewClientBuilder().WithScheme(scheme.New())
	for _, o := range objs {
		b = b.WithObjects(o)
	}
	s, err := New(Options{Reader: b.Build(), Actions: func(*http.Request) (client.Client, string, error) { return nil, "alice", nil }, Log: logr.Discard()})
	if err != nil {
		t.Fatal(err)
	}
	h := s.Handler()

	for _, k := range kinds {
		if resp, body := get(t, h, "/k/"+k.name); resp.StatusCode != http.StatusOK {
			t.Errorf("list of %s = %d:\n%s", k.plural, resp.StatusCode, body)
		}
	}
	for _, o := range objs {
		k := kindOf(t, o)
		resp, body := get(t, h, objectPath(k.name, o.GetNamespace(), o.GetName()))
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s page = %d:\n%s", k.name, resp.StatusCode, body)
		}
	}
	_, body := get(t, h, "/o/HelmRelease/apps/web")
	mustContain(t, "the HelmRelease page", body, "Release history", "podinfo 6.5.0", "force", "reset failure counters",
		`href="/o/HelmChart/apps/apps-web"`, `href="/o/HelmRepository/apps/charts"`)
	_, body = get(t, h, "/o/HelmRepository/apps/charts")
	mustContain(t, "the HelmRepository page", body, "Used by", `href="/o/HelmChart/apps/apps-web"`, `href="/o/HelmRelease/apps/web"`)
	_, body = get(t, h, "/o/Provider/apps/slack")
	mustContain(t, "the Provider page", body, "Deliveries", "on-call", "Kustomization/apps/web", "Delivered")
	_, body = get(t, h, "/o/Kustomization/apps/web?done=reconcile")
	mustContain(t, "the page after an action", body, "Reconciliation requested.")
	_, body = get(t, h, "/k/Receiver")
	mustContain(t, "an empty list", body, "No Receivers yet", "ferry create receiver")
}

// kindOf is the UI's kind of obj.
func kindOf(t *testing.T, obj conditioned) *kind {
	t.Helper()
	for _, k := range kinds {
		if fmt.Sprintf("%T", k.newObject()) == fmt.Sprintf("%T", obj) {
			return k
		}
	}
	t.Fatalf("no kind for %T", obj)
	return nil
}

func TestInventoryCollapsesLargeOnes(t *testing.T) {
	var entries []kustomizev1.ResourceRef
	for i := range maxInventoryList + 1 {
		entries = append(entries, kustomizev1.ResourceRef{ID: fmt.Sprintf("apps_cm-%d__ConfigMap", i), Version: "v1"})
	}
	entries = append(entries, kustomizev1.ResourceRef{ID: "not-an-id", Version: "v1"})
	inv := inventoryOf(&kustomizev1.ResourceInventory{Entries: entries})
	if !inv.Collapsed || inv.Total != maxInventoryList+1 || len(inv.Groups) != 1 || inv.Groups[0].Kind != "ConfigMap" || len(inv.Invalid) != 1 {
		t.Errorf("inventory = %+v", inv)
	}
}

func TestRedactHidesURLCredentials(t *testing.T) {
	spec := map[string]any{
		"url":   "https://user:s3cret@example.com/repo.git",
		"ref":   map[string]any{"branch": "main"},
		"items": []any{"ssh://git:tok3n@example.com/x", "plain@text"},
	}
	data := fmt.Sprint(redact(spec))
	if strings.Contains(data, "s3cret") || strings.Contains(data, "tok3n") || strings.Contains(data, "user:") {
		t.Errorf("redact left credentials: %s", data)
	}
	mustContain(t, "the redacted spec", data, "https://redacted@example.com/repo.git", "plain@text", "main")
}

func TestHubCoalescesAndLimits(t *testing.T) {
	h := newHub(1)
	c := h.join()
	if c == nil || h.join() != nil {
		t.Fatal("the hub does not hold exactly its limit of clients")
	}
	for range 1000 {
		h.changed("Kustomization")
	}
	h.changed("GitRepository")
	if got := strings.Join(c.take(), " "); got != "GitRepository Kustomization" {
		t.Errorf("take = %q", got)
	}
	if len(c.wake) != 1 {
		t.Errorf("the client was woken %d times, want 1 pending wake", len(c.wake))
	}
	if got := c.take(); len(got) != 0 {
		t.Errorf("a second take = %v", got)
	}
	h.leave(c)
	if h.join() == nil {
		t.Error("a place freed by leave is not reused")
	}
}

// get serves path from h.
func get(t *testing.T, h http.Handler, path string) (*http.Response, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	resp := rec.Result()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

// mustContain fails unless s holds each of subs.
func mustContain(t *testing.T, what, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			t.Errorf("%s does not contain %q:\n%s", what, sub, s)
		}
	}
}

// TestStateOf: a Kustomization whose reconciliation failed and waits for
// its retry (Ready=False, Reconciling=True ProgressingWithRetry, as Flux
// leaves it) is failing, not progressing.
func TestStateOf(t *testing.T) {
	cond := func(typ, st, reason string) metav1.Condition {
		return metav1.Condition{Type: typ, Status: metav1.ConditionStatus(st), Reason: reason}
	}
	for _, tc := range []struct {
		conds []metav1.Condition
		want  string
	}{
		{[]metav1.Condition{cond("Ready", "True", "ReconciliationSucceeded")}, stateReady},
		{[]metav1.Condition{cond("Ready", "False", "BuildFailed")}, stateFailing},
		{[]metav1.Condition{cond("Ready", "False", "BuildFailed"), cond("Reconciling", "True", "ProgressingWithRetry")}, stateFailing},
		{[]metav1.Condition{cond("Ready", "Unknown", "Progressing"), cond("Reconciling", "True", "Progressing")}, stateProgressing},
		{[]metav1.Condition{cond("Ready", "False", "Progressing"), cond("Reconciling", "True", "Progressing")}, stateProgressing},
		{[]metav1.Condition{cond("Ready", "False", "BuildFailed"), cond("Stalled", "True", "BuildFailed")}, stateFailing},
		{nil, stateProgressing},
	} {
		ks := &kustomizev1.Kustomization{}
		ks.Status.Conditions = tc.conds
		if got := stateOf(ks); got != tc.want {
			t.Errorf("%v: %s, want %s", tc.conds, got, tc.want)
		}
	}
	ks := &kustomizev1.Kustomization{}
	ks.Spec.Suspend = true
	if got := stateOf(ks); got != stateSuspended {
		t.Errorf("suspended: %s", got)
	}
}

// TestRevisionOfReadsTypesAsTheStatusSays checks that the typed reading of
// each kind's revision gives what its status says when read generically,
// for every kind the UI shows, with and without a revision.
func TestRevisionOfReadsTypesAsTheStatusSays(t *testing.T) {
	artifact := &meta.Artifact{Revision: "main@sha1:1234"}
	filled := map[string]client.Object{
		sourcev1.GitRepositoryKind:  &sourcev1.GitRepository{Status: sourcev1.GitRepositoryStatus{Artifact: artifact}},
		sourcev1.HelmRepositoryKind: &sourcev1.HelmRepository{Status: sourcev1.HelmRepositoryStatus{Artifact: artifact}},
		sourcev1.HelmChartKind:      &sourcev1.HelmChart{Status: sourcev1.HelmChartStatus{Artifact: artifact}},
		kustomizev1.KustomizationKind: &kustomizev1.Kustomization{Status: kustomizev1.KustomizationStatus{
			LastAttemptedRevision: "main@sha1:5678"}},
	}
	for _, k := range kinds {
		for _, obj := range []client.Object{k.newObject(), filled[k.name]} {
			if obj == nil || k.name == helmv2.HelmReleaseKind {
				continue // its revision is its chart version, not a status field
			}
			if got, want := revisionOf(obj), statusRevision(obj); got != want {
				t.Errorf("%s: revisionOf = %q, the status says %q", k.name, got, want)
			}
		}
	}
	if got := revisionOf(filled[kustomizev1.KustomizationKind]); got != "main@sha1:5678" {
		t.Errorf("a Kustomization that never applied: revision %q, want its last attempt", got)
	}
}
