package ui_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/internal/ui"
)

// managedBy is the labels with which a Kustomization marks what it
// applied.
func managedBy(ns, name string) map[string]string {
	return map[string]string{kustomizev1.NameLabel: name, kustomizev1.NamespaceLabel: ns}
}

// setLabels sets obj's labels in the cluster.
func setLabels(t *testing.T, obj client.Object, labels map[string]string) {
	t.Helper()
	obj.SetLabels(labels)
	if err := env.Client.Update(t.Context(), obj); err != nil {
		t.Fatal(err)
	}
}

// traceURL is the trace page's link, as the inventory makes it.
func traceURL(pairs ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(pairs); i += 2 {
		v.Set(pairs[i], pairs[i+1])
	}
	return "/trace?" + v.Encode()
}

// TestTracePage traces a ConfigMap applied by the Kustomization child,
// itself applied by the Kustomization parent, which manages itself as a
// bootstrap Kustomization does.
func TestTracePage(t *testing.T) {
	ctx := t.Context()
	ns := env.NewNamespace(t, "trace")
	gitRepository(t, ns, "repo", metav1.ConditionTrue, "stored artifact", "main@sha1:abcdef0123456789abcdef0123456789abcdef01")
	parent := kustomization(t, ns, "parent", ready("Applied revision: main@sha1:1111"))
	setLabels(t, parent, managedBy(ns, "parent"))
	child := kustomization(t, ns, "child", failing("health check failed for Deployment/"+ns+"/web"))
	setLabels(t, child, managedBy(ns, "parent"))
	for name, labels := range map[string]map[string]string{"cm": managedBy(ns, "child"), "plain": nil} {
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: labels}}
		if err := env.Client.Create(ctx, cm); err != nil {
			t.Fatal(err)
		}
	}
	const secretValue = "hunter2-never-shown"
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "token", Labels: managedBy(ns, "child")}, StringData: map[string]string{"token": secretValue}}
	if err := env.Client.Create(ctx, secret); err != nil {
		t.Fatal(err)
	}
	srv := newUI(t, asAdmin)

	// The chain: the ConfigMap, child, parent and their source.
	for _, link := range []string{
		traceURL("group", "", "kind", "ConfigMap", "namespace", ns, "name", "cm"),
		traceURL("apiVersion", "v1", "kind", "ConfigMap", "namespace", ns, "name", "cm"),
		traceURL("kind", "configmap", "namespace", ns, "name", "cm"),
	} {
		resp, body := get(t, srv, link)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s = %d:\n%s", link, resp.StatusCode, body)
		}
		mustContain(t, "the trace of "+link, body,
			"ConfigMap", ns+"/cm", `<code>v1</code>`,
			`href="/o/Kustomization/`+ns+`/child"`, "health check failed for Deployment/"+ns+"/web", "state-failing",
			`href="/o/Kustomization/`+ns+`/parent"`, "main@sha1:1111", "./deploy",
			`href="/o/GitRepository/`+ns+`/repo"`, "https://example.com/repo.git", "main@sha1:abcdef0123456789abcdef0123456789abcdef01",
			"Kustomization "+ns+"/parent manages itself")
		if i, j := strings.Index(body, ns+"/child"), strings.Index(body, ns+"/parent"); i < 0 || j < i {
			t.Errorf("%s: child is not listed before parent", link)
		}
	}

	// A group alone: the RESTMapper gives the preferred version.
	_, body := get(t, srv, traceURL("group", "kustomize.toolkit.fluxcd.io", "kind", "Kustomization", "namespace", ns, "name", "child"))
	mustContain(t, "the trace of a Kustomization by group", body, "kustomize.toolkit.fluxcd.io/v1", `href="/o/Kustomization/`+ns+`/parent"`)

	// A Secret: its metadata only.
	_, body = get(t, srv, traceURL("group", "", "kind", "Secret", "namespace", ns, "name", "token"))
	mustContain(t, "the trace of a Secret", body, "its metadata only", `href="/o/Kustomization/`+ns+`/child"`)
	if strings.Contains(body, secretValue) || strings.Contains(body, "aHVudGVy") {
		t.Errorf("the trace of a Secret shows its data:\n%s", body)
	}

	// An object without the labels.
	resp, body := get(t, srv, traceURL("group", "", "kind", "ConfigMap", "namespace", ns, "name", "plain"))
	if resp.StatusCode != http.StatusOK {
		t.Errorf("the trace of an unlabelled object = %d", resp.StatusCode)
	}
	mustContain(t, "the trace of an unlabelled object", body, ns+"/plain", "Not managed by ferry (or Flux)")
	if strings.Contains(body, `href="/o/Kustomization/`) {
		t.Errorf("an unlabelled object is traced to a Kustomization:\n%s", body)
	}

	// What cannot be traced, and why.
	for link, want := range map[string]struct {
		code int
		text string
	}{
		traceURL("group", "", "kind", "ConfigMap", "namespace", ns, "name", "nope"): {http.StatusNotFound, "ConfigMap " + ns + "/nope does not exist"},
		traceURL("group", "apps", "kind", "Nope", "namespace", ns, "name", "x"):     {http.StatusNotFound, "the cluster has no kind Nope in group apps"},
		traceURL("group", "", "kind", "ConfigMap", "name", "cm"):                    {http.StatusBadRequest, "ConfigMap is namespaced: give the namespace"},
		traceURL("kind", "ConfigMap"):                                               {http.StatusBadRequest, "Give at least the kind and the name"},
	} {
		resp, body := get(t, srv, link)
		if resp.StatusCode != want.code {
			t.Errorf("GET %s = %d, want %d", link, resp.StatusCode, want.code)
		}
		mustContain(t, "GET "+link, body, want.text)
	}

	// The form alone, and its fields filled from the query.
	resp, body = get(t, srv, "/trace")
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /trace = %d", resp.StatusCode)
	}
	mustContain(t, "the trace form", body, `action="/trace"`, `name="apiVersion"`, `name="kind"`, `name="namespace"`, `name="name"`)
	_, body = get(t, srv, traceURL("group", "apps", "kind", "Deployment", "namespace", ns, "name", "<b>"))
	mustContain(t, "the filled trace form", body, `value="apps"`, `value="Deployment"`, `value="&lt;b&gt;"`)

	// RBAC decides: a user who may not read ConfigMaps is told so, and
	// a read-only UI traces nothing.
	nobody := restrictedUser(t, ns, "nobody")
	link := traceURL("group", "", "kind", "ConfigMap", "namespace", ns, "name", "cm")
	resp, body = get(t, newUI(t, func(*http.Request) (client.Client, string, error) { return nobody, "nobody", nil }), link)
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("a trace by nobody = %d, want 403", resp.StatusCode)
	}
	mustContain(t, "a trace by nobody", body, "you may not read ConfigMap "+ns+"/cm: ", "forbidden")
	resp, _ = get(t, newUI(t, nil), link)
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("a trace in a read-only UI = %d, want 403", resp.StatusCode)
	}

	// A user who may not list Kustomizations sees the manager named, as
	// the labels name it, but neither its state nor its source.
	s, err := ui.New(ui.Options{Reader: env.Client, Actions: asAdmin, Log: logr.Discard(),
		Visible: func(*http.Request) (func(kind, namespace string) bool, error) {
			return func(kind, _ string) bool { return kind != kustomizev1.KustomizationKind }, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	hidden := httptest.NewServer(s.Handler())
	defer hidden.Close()
	resp, body = get(t, &testUI{Server: hidden, s: s}, link)
	if resp.StatusCode != http.StatusOK {
		t.Errorf("a trace with the manager hidden = %d", resp.StatusCode)
	}
	mustContain(t, "a trace with the manager hidden", body, ns+"/child", "Not shown: you may not list Kustomization objects in "+ns)
	if strings.Contains(body, `href="/o/Kustomization/`) || strings.Contains(body, "health check failed") || strings.Contains(body, "example.com/repo.git") {
		t.Errorf("a trace shows a Kustomization the user may not see:\n%s", body)
	}
}
