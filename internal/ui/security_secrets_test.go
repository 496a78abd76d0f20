package ui_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	helmv2 "github.com/ferrycd/ferry/api/helm/v2"
	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/api/meta"
	notificationv1beta3 "github.com/ferrycd/ferry/api/notification/v1beta3"
	"github.com/ferrycd/ferry/internal/ui"
)

// TestNoRouteShowsSecretData fills a namespace with Secrets that ferry's
// objects refer to (a Kustomization's inventory and substituteFrom, a
// GitRepository's secretRef, a HelmRelease's valuesFrom, a Provider's
// secretRef) and Events that name them, then requests every page of the
// UI as an admin, whose reads RBAC does not narrow: the overview, the
// search (also for the values themselves), the graph, the engine, the
// notifications, every list, every object's page, log, health, trace,
// diff and files, and the pages of the Secrets themselves. No answer holds
// a Secret's value, as written or base64-encoded.
func TestNoRouteShowsSecretData(t *testing.T) {
	ctx := context.Background()
	ns := env.NewNamespace(t, "uisecrets")
	values := map[string]string{
		"inventory":    "inv-s3cr3t-4d1f",
		"substitution": "subst-s3cr3t-8a2c",
		"git":          "git-s3cr3t-7b3e",
		"values":       "values-s3cr3t-1f9a",
		"provider":     "https://hooks.example.test/services/provider-s3cr3t-5c6d",
	}
	secrets := map[string]map[string]string{
		"inventory": {"password": values["inventory"]},
		"vars":      {"DB_PASSWORD": values["substitution"]},
		"git-auth":  {"username": "bot", "password": values["git"]},
		"values":    {"values.yaml": "password: " + values["values"] + "\n"},
		"webhook":   {"address": values["provider"]},
	}
	for name, data := range secrets {
		s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: managedBy(ns, "apps")}, StringData: data}
		if err := env.Client.Create(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	repo := gitRepository(t, ns, "repo", metav1.ConditionTrue, "stored artifact", "main@sha1:abcdef0123456789abcdef0123456789abcdef01")
	repo.Spec.SecretRef = &meta.LocalObjectReference{Name: "git-auth"}
	if err := env.Client.Update(ctx, repo); err != nil {
		t.Fatal(err)
	}
	ks := kustomization(t, ns, "apps", func(ks *kustomizev1.Kustomization) {
		ready("Applied revision: main@sha1:1111")(ks)
		ks.Status.Inventory = &kustomizev1.ResourceInventory{Entries: []kustomizev1.ResourceRef{{ID: ns + "_inventory__Secret", Version: "v1"}}}
	})
	ks.Spec.PostBuild = &kustomizev1.PostBuild{SubstituteFrom: []kustomizev1.SubstituteReference{{Kind: "Secret", Name: "vars"}}}
	if err := env.Client.Update(ctx, ks); err != nil {
		t.Fatal(err)
	}
	objs := []client.Object{
		&helmv2.HelmRelease{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "web"},
			Spec: helmv2.HelmReleaseSpec{
				Interval:   metav1.Duration{Duration: time.Hour},
				ChartRef:   &helmv2.CrossNamespaceSourceReference{Kind: "HelmChart", Name: "web"},
				ValuesFrom: []helmv2.ValuesReference{{Kind: "Secret", Name: "values"}},
			},
		},
		&notificationv1beta3.Provider{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "slack"},
			Spec:       notificationv1beta3.ProviderSpec{Type: "slack", SecretRef: &meta.LocalObjectReference{Name: "webhook"}},
		},
		&corev1.Event{
			ObjectMeta:     metav1.ObjectMeta{Namespace: ns, Name: "apps.secret"},
			InvolvedObject: corev1.ObjectReference{Kind: "Kustomization", Namespace: ns, Name: "apps", APIVersion: kustomizev1.GroupVersion.String()},
			Reason:         "ReconciliationSucceeded", Message: "Secret/" + ns + "/inventory configured", Type: corev1.EventTypeNormal,
			FirstTimestamp: metav1.Now(), LastTimestamp: metav1.Now(), Count: 1, Source: corev1.EventSource{Component: "kustomize-controller"},
		},
	}
	for _, obj := range objs {
		if err := env.Client.Create(ctx, obj); err != nil {
			t.Fatal(err)
		}
	}
	srv := newUI(t, asAdmin)

	trace := func(kind, name string) string {
		return "/trace?" + url.Values{"kind": {kind}, "namespace": {ns}, "name": {name}}.Encode()
	}
	paths := []string{"/", "/graph", "/graph?ns=" + ns, "/engine", "/notifications", "/search?q=inventory", "/search?q=" + ns,
		"/k/Secret", "/o/Secret/" + ns + "/inventory", "/o/Secret/" + ns + "/webhook",
		trace("Secret", "inventory"), trace("Secret", "vars"), trace("Kustomization", "apps")}
	kinds := make([]string, 0)
	for kind := range ui.KindResources() {
		kinds = append(kinds, kind)
	}
	sort.Strings(kinds)
	for _, kind := range kinds {
		paths = append(paths, "/k/"+kind, "/k/"+kind+"?ns="+ns)
	}
	for _, o := range [][2]string{{"Kustomization", "apps"}, {"GitRepository", "repo"}, {"HelmRelease", "web"}, {"Provider", "slack"}} {
		page := "/o/" + o[0] + "/" + ns + "/" + o[1]
		paths = append(paths, page, page+"/log", page+"/health", page+"/diff", page+"/files/", trace(o[0], o[1]))
	}
	pages := 0
	for _, p := range paths {
		resp, body := get(t, srv, p)
		if resp.StatusCode == http.StatusOK {
			pages++
		}
		for what, v := range values {
			for _, form := range []string{v, base64.StdEncoding.EncodeToString([]byte(v))} {
				if strings.Contains(body, form) {
					t.Errorf("GET %s (%d) holds the %s Secret's value", p, resp.StatusCode, what)
				}
			}
		}
		if strings.Contains(body, base64.StdEncoding.EncodeToString([]byte("password: "+values["values"]+"\n"))) {
			t.Errorf("GET %s holds the values Secret's data", p)
		}
	}
	// Searching for a value shows the query, and finds no object by it.
	for what, v := range values {
		p := "/search?q=" + url.QueryEscape(v)
		_, body := get(t, srv, p)
		if strings.Contains(body, "/"+ns+"/") || strings.Contains(body, base64.StdEncoding.EncodeToString([]byte(v))) {
			t.Errorf("GET %s finds an object by the %s Secret's value", p, what)
		}
	}
	t.Logf("%d requests, %d pages answered 200", len(paths), pages)
	if pages < len(paths)/2 {
		t.Errorf("only %d of %d requests answered 200: the sweep does not reach the pages", pages, len(paths))
	}
}
