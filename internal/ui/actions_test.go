package ui_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/testenv"
	"github.com/ferrycd/ferry/internal/ui"
)

// asAdmin performs actions as the admin, named alice.
func asAdmin(*http.Request) (client.Client, string, error) { return env.Client, "alice", nil }

func TestActionNeedsTheCSRFToken(t *testing.T) {
	ctx := context.Background()
	ns := env.NewNamespace(t, "csrf")
	gitRepository(t, ns, "repo", metav1.ConditionTrue, "stored artifact", "main@sha1:3333")
	kustomization(t, ns, "apps", ready("Applied"))
	srv := newUI(t, asAdmin)
	page := "/o/Kustomization/" + ns + "/apps"
	s := newSession(t, srv, page)

	// No token, a wrong token, another site: refused.
	for name, form := range map[string]url.Values{
		"no token":    {},
		"wrong token": {"csrf": {"x" + s.token}},
	} {
		resp, body := s.post(page+"/reconcile", form)
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s: %d, want 403:\n%s", name, resp.StatusCode, body)
		}
	}
	req, _ := http.NewRequest(http.MethodPost, srv.URL+page+"/reconcile", nil)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if resp, err := s.c.Do(req); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("a cross-site post: %v %v, want 403", resp, err)
	}
	if ks := getKustomization(t, ns, "apps"); ks.Annotations[meta.ReconcileRequestAnnotation] != "" {
		t.Fatalf("a refused post annotated the Kustomization")
	}

	// With the token: annotated (the source too), recorded, redirected.
	resp, body := s.post(page+"/reconcile", url.Values{"csrf": {s.token}, "withSource": {"1"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != page+"?done=reconcile" {
		t.Fatalf("reconcile = %d %q:\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	token := getKustomization(t, ns, "apps").Annotations[meta.ReconcileRequestAnnotation]
	if token == "" {
		t.Fatal("reconcile did not set requestedAt")
	}
	repo := &sourcev1.GitRepository{}
	if err := env.Client.Get(ctx, testenv.Key(ns, "repo"), repo); err != nil || repo.Annotations[meta.ReconcileRequestAnnotation] != token {
		t.Errorf("reconcile with source did not annotate the GitRepository: %v %v", repo.Annotations, err)
	}
	assertEvent(t, ns, "apps", "ReconcileRequested", "reconcile requested by alice (with its source)")

	// Suspend with a reason, then resume.
	resp, body = s.post(page+"/suspend", url.Values{"csrf": {s.token}, "reason": {"incident 42"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("suspend = %d:\n%s", resp.StatusCode, body)
	}
	if !getKustomization(t, ns, "apps").Spec.Suspend {
		t.Fatal("suspend did not set spec.suspend")
	}
	assertEvent(t, ns, "apps", "Suspended", "suspended by alice: incident 42")
	_, body = get(t, srv, page)
	mustContain(t, "a suspended object's page", body, "/resume", "suspended")
	resp, body = s.post(page+"/reconcile", url.Values{"csrf": {s.token}})
	if resp.StatusCode != http.StatusConflict {
		t.Errorf("reconcile of a suspended object = %d, want 409:\n%s", resp.StatusCode, body)
	}
	resp, body = s.post(page+"/resume", url.Values{"csrf": {s.token}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("resume = %d:\n%s", resp.StatusCode, body)
	}
	if ks := getKustomization(t, ns, "apps"); ks.Spec.Suspend || ks.Annotations[meta.ReconcileRequestAnnotation] == token {
		t.Errorf("resume left spec.suspend %v and requestedAt %q", ks.Spec.Suspend, ks.Annotations[meta.ReconcileRequestAnnotation])
	}
	assertEvent(t, ns, "apps", "Resumed", "resumed by alice")
}

func TestActionsRefused(t *testing.T) {
	ns := env.NewNamespace(t, "forbidden")
	kustomization(t, ns, "apps", ready("Applied"))
	page := "/o/Kustomization/" + ns + "/apps"

	// A read-only UI, and an Actions that refuses the request.
	for name, actions := range map[string]func(*http.Request) (client.Client, string, error){
		"read-only": nil,
		"refused":   func(*http.Request) (client.Client, string, error) { return nil, "", errors.New("no token") },
	} {
		srv := newUI(t, actions)
		s := newSession(t, srv, "/")
		resp, body := s.post(page+"/reconcile", url.Values{"csrf": {s.token}})
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s: %d, want 403:\n%s", name, resp.StatusCode, body)
		}
	}

	// A user without RBAC rights: Kubernetes says no, and so does the page.
	nobody := restrictedUser(t, ns, "nobody")
	srv := newUI(t, func(*http.Request) (client.Client, string, error) { return nobody, "nobody", nil })
	s := newSession(t, srv, page)
	for _, verb := range []string{"reconcile", "suspend"} {
		resp, body := s.post(page+"/"+verb, url.Values{"csrf": {s.token}})
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s by nobody = %d, want 403:\n%s", verb, resp.StatusCode, body)
		}
		mustContain(t, verb+" by nobody", body, "you may not "+verb+" Kustomization "+ns+"/apps: ", "forbidden", "cannot patch")
	}
	ks := getKustomization(t, ns, "apps")
	if ks.Spec.Suspend || ks.Annotations[meta.ReconcileRequestAnnotation] != "" {
		t.Errorf("a forbidden action changed the Kustomization")
	}
}

func getKustomization(t *testing.T, ns, name string) *kustomizev1.Kustomization {
	t.Helper()
	ks := &kustomizev1.Kustomization{}
	if err := env.Client.Get(context.Background(), testenv.Key(ns, name), ks); err != nil {
		t.Fatal(err)
	}
	return ks
}

// assertEvent checks that the UI recorded an Event of reason with message.
func assertEvent(t *testing.T, ns, name, reason, message string) {
	t.Helper()
	for _, e := range testenv.Events(t, env.Client, kustomizev1.KustomizationKind, ns, name) {
		if e.Reason == reason {
			if e.Message != message || e.Type != corev1.EventTypeNormal || e.ReportingController != ui.ReportingController {
				t.Errorf("event %s = %q %s %s", reason, e.Message, e.Type, e.ReportingController)
			}
			return
		}
	}
	t.Errorf("no %s event recorded", reason)
}
