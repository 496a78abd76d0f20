package ui_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	imagev1 "github.com/ferrycd/ferry/api/image/v1"
	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/api/meta"
	"github.com/ferrycd/ferry/internal/testenv"
	"github.com/ferrycd/ferry/internal/ui"
)

func TestOverviewShowsFailingFirst(t *testing.T) {
	ns := env.NewNamespace(t, "overview")
	gitRepository(t, ns, "repo", metav1.ConditionTrue, "stored artifact", "main@sha1:abcdef0123456789abcdef0123456789abcdef01")
	kustomization(t, ns, "healthy", ready("Applied revision: main@sha1:1111"))
	kustomization(t, ns, "broken", failing("kustomization path not found: ./deploy"))
	srv := newUI(t, nil)

	resp, body := get(t, srv, "/")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET / = %d:\n%s", resp.StatusCode, body)
	}
	if got := resp.Header.Get("Content-Security-Policy"); got != ui.ContentSecurityPolicy {
		t.Errorf("Content-Security-Policy = %q", got)
	}
	if got := resp.Header.Get("X-Content-Type-Options"); got != "nosniff" {
		t.Errorf("X-Content-Type-Options = %q", got)
	}
	mustContain(t, "the overview", body, "Failing", "/o/Kustomization/"+ns+"/broken", "kustomization path not found: ./deploy", "BuildFailed",
		"main@sha1:abcdef0123456789abcdef0123456789abcdef01", `title="20`)
	failingAt := strings.Index(body, ns+"/broken")
	countsAt := strings.Index(body, `id="counts-h"`)
	if failingAt < 0 || countsAt < 0 || failingAt > countsAt {
		t.Errorf("the failing Kustomization is not listed first (at %d, counts at %d)", failingAt, countsAt)
	}
	if strings.Contains(body[:countsAt], ns+"/healthy") {
		t.Errorf("a ready Kustomization is listed as failing")
	}

	// The fragment is the main region only, for live.js.
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/", nil)
	req.Header.Set(ui.FragmentHeader, "1")
	fr, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer fr.Body.Close()
	b, _ := io.ReadAll(fr.Body)
	if frag := string(b); strings.Contains(frag, "<html") || !strings.Contains(frag, "<h1>Overview</h1>") {
		t.Errorf("the fragment is not the main region:\n%s", frag)
	}

	// Search finds by message, case-insensitively.
	_, body = get(t, srv, "/search?q=PATH+NOT+FOUND")
	mustContain(t, "the search", body, "/o/Kustomization/"+ns+"/broken")
	if strings.Contains(body, ns+"/healthy") {
		t.Errorf("the search found the healthy Kustomization:\n%s", body)
	}
}

func TestListFiltersAndPaginates(t *testing.T) {
	ns := env.NewNamespace(t, "list")
	other := env.NewNamespace(t, "list-other")
	for i := range ui.PageSize + 2 {
		kustomization(t, ns, fmt.Sprintf("app-%03d", i), ready("Applied"))
	}
	kustomization(t, ns, "zz-broken", failing("health check failed"))
	kustomization(t, other, "elsewhere", ready("Applied"))
	srv := newUI(t, nil)

	_, body := get(t, srv, "/k/Kustomization?ns="+ns)
	mustContain(t, "page 1", body, "1–100 of 103", "page 1 of 2", "/o/Kustomization/"+ns+"/app-000", "REVISION", "SUSPENDED", "MESSAGE")
	if strings.Contains(body, "app-100") || strings.Contains(body, "elsewhere") {
		t.Errorf("page 1 holds another page's or namespace's objects")
	}
	_, body = get(t, srv, "/k/Kustomization?ns="+ns+"&page=2")
	mustContain(t, "page 2", body, "101–103 of 103", "app-100", "app-101", "zz-broken", "← previous")

	_, body = get(t, srv, "/k/kustomization?ns="+ns+"&status=failing")
	mustContain(t, "the failing filter", body, "1–1 of 1", "zz-broken", "health check failed")
	if strings.Contains(body, "app-000") {
		t.Errorf("the failing filter lists a ready object")
	}

	_, body = get(t, srv, "/k/Kustomization?ns="+ns+"&sort=status")
	if i, j := strings.Index(body, "zz-broken"), strings.Index(body, "app-000"); i < 0 || j < 0 || i > j {
		t.Errorf("sort=status does not put the failing object first")
	}

	resp, _ := get(t, srv, "/k/NoSuchKind")
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("an unknown kind = %d, want 404", resp.StatusCode)
	}
}

func TestObjectPage(t *testing.T) {
	ctx := context.Background()
	ns := env.NewNamespace(t, "object")
	gitRepository(t, ns, "repo", metav1.ConditionTrue, "stored artifact", "main@sha1:2222")
	ks := kustomization(t, ns, "apps", func(ks *kustomizev1.Kustomization) {
		failing("Deployment/" + ns + "/web: <script>alert(1)</script>")(ks)
		ks.Status.LastHandledReconcileAt = "2026-01-02T03:04:05Z"
		ks.Status.Inventory = &kustomizev1.ResourceInventory{Entries: []kustomizev1.ResourceRef{
			{ID: ns + "_web_apps_Deployment", Version: "v1"},
			{ID: ns + "_web__Service", Version: "v1"},
			{ID: ns + "_child_kustomize.toolkit.fluxcd.io_Kustomization", Version: "v1"},
		}}
	})
	event := &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{Namespace: ns, Name: "apps.1"},
		InvolvedObject: corev1.ObjectReference{Kind: kustomizev1.KustomizationKind, Namespace: ns, Name: "apps", UID: ks.UID},
		Reason:         "BuildFailed", Message: "kustomize build failed: no such file", Type: corev1.EventTypeWarning,
		FirstTimestamp: metav1.Now(), LastTimestamp: metav1.Now(), Count: 1,
		Source: corev1.EventSource{Component: "kustomize-controller"},
	}
	if err := env.Client.Create(ctx, event); err != nil {
		t.Fatal(err)
	}
	srv := newUI(t, nil)

	resp, body := get(t, srv, "/o/Kustomization/"+ns+"/apps")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET object = %d:\n%s", resp.StatusCode, body)
	}
	mustContain(t, "the object page", body,
		// conditions
		"Conditions", "BuildFailed", "Ready",
		// status
		"lastHandledReconcileAt", "2026-01-02T03:04:05Z",
		// events
		"kustomize build failed: no such file", "kustomize-controller",
		// inventory, grouped, the child linked
		"Inventory (3 objects)", "Deployment.apps", "Service", ns+"/web", `href="/o/Kustomization/`+ns+`/child"`,
		// source linked
		`href="/o/GitRepository/`+ns+`/repo"`,
		// spec
		"path: ./deploy", "sourceRef:")
	// The message from the cluster is escaped.
	mustContain(t, "the object page", body, "&lt;script&gt;alert(1)&lt;/script&gt;")
	if strings.Contains(body, "<script>alert(1)") {
		t.Errorf("the Ready message is not escaped:\n%s", body)
	}
	if strings.Contains(body, `action="/o/`) {
		t.Errorf("a read-only UI offers actions")
	}

	// The source lists what consumes it.
	_, body = get(t, srv, "/o/GitRepository/"+ns+"/repo")
	mustContain(t, "the source page", body, "Used by", `href="/o/Kustomization/`+ns+`/apps"`)

	resp, _ = get(t, srv, "/o/Kustomization/"+ns+"/missing")
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("a missing object = %d, want 404", resp.StatusCode)
	}
}

// TestImageKindsListed shows the image automation kinds and the OCI and
// Bucket sources with their own columns: an ImagePolicy's chosen image
// where other kinds have REVISION.
func TestImageKindsListed(t *testing.T) {
	ns := env.NewNamespace(t, "images")
	ctx := context.Background()
	policy := &imagev1.ImagePolicy{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "web"},
		Spec: imagev1.ImagePolicySpec{
			ImageRepositoryRef: meta.NamespacedObjectReference{Name: "web"},
			Policy:             imagev1.ImagePolicyChoice{SemVer: &imagev1.SemVerPolicy{Range: ">=1.0.0"}},
		},
	}
	if err := env.Client.Create(ctx, policy); err != nil {
		t.Fatal(err)
	}
	policy.Status.LatestRef = &imagev1.ImageRef{Name: "ghcr.io/acme/web", Tag: "1.4.2"}
	policy.Status.Conditions = []metav1.Condition{{Type: meta.ReadyCondition, Status: metav1.ConditionTrue, Reason: meta.SucceededReason,
		Message: "Latest image tag for ghcr.io/acme/web resolved to 1.4.2", LastTransitionTime: metav1.Now()}}
	if err := env.Client.Status().Update(ctx, policy); err != nil {
		t.Fatal(err)
	}
	srv := newUI(t, nil)
	testenv.Eventually(t, "the policy in the list", func() (bool, string) {
		_, body := get(t, srv, "/k/ImagePolicy?ns="+ns)
		return strings.Contains(body, "ghcr.io/acme/web:1.4.2"), body
	})
	_, body := get(t, srv, "/k/ImagePolicy?ns="+ns)
	mustContain(t, "the ImagePolicy list", body, "LATEST IMAGE", "/o/ImagePolicy/"+ns+"/web", "resolved to 1.4.2")
	for _, k := range []string{"ImageRepository", "ImageUpdateAutomation", "OCIRepository", "Bucket"} {
		if resp, _ := get(t, srv, "/k/"+k+"?ns="+ns); resp.StatusCode != http.StatusOK {
			t.Errorf("/k/%s = %d", k, resp.StatusCode)
		}
	}
}
