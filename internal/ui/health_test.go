package ui_test

import (
	"net/http"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

func TestInventoryHealth(t *testing.T) {
	ns := treeFixture(t)
	path := "/o/Kustomization/" + ns + "/apps/health"

	// As someone who may read everything.
	srv := newUI(t, asAdmin)
	resp, body := get(t, srv, path)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET health = %d:\n%s", resp.StatusCode, body)
	}
	got := healthRows(body)
	for id, want := range map[string]string{
		ns + "_settings__ConfigMap":                             "Current",
		ns + "_credentials__Secret":                             "Current",
		ns + "_web_apps_Deployment":                             "NotFound",
		ns + "_child-settings__ConfigMap":                       "NotFound",
		ns + "_child_kustomize.toolkit.fluxcd.io_Kustomization": "",
	} {
		status, ok := got[id]
		if !ok {
			t.Errorf("the health page has no row for %s:\n%s", id, body)
		} else if want != "" && status != want {
			t.Errorf("health of %s = %q, want %q", id, status, want)
		}
	}
	mustContain(t, "the health page", body, "Health of", "the Secret exists (its data is not read)", "<table")
	assertNoSecret(t, "the health page", body)

	// The fragment, as live.js loads it, has the rows and nothing else.
	req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	req.Header.Set("X-Ferry-Fragment", "1")
	fr, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	fr.Body.Close()
	if fr.StatusCode != http.StatusOK {
		t.Errorf("the health fragment = %d", fr.StatusCode)
	}

	// As a ServiceAccount that may read ConfigMaps only: RBAC decides.
	reader := restrictedUser(t, ns, "configmap-reader", rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"get"}})
	srv = newUI(t, func(*http.Request) (client.Client, string, error) { return reader, "configmap-reader", nil })
	_, body = get(t, srv, path)
	got = healthRows(body)
	for id, want := range map[string]string{
		ns + "_settings__ConfigMap":                             "Current",
		ns + "_child-settings__ConfigMap":                       "NotFound",
		ns + "_credentials__Secret":                             "not allowed to read",
		ns + "_web_apps_Deployment":                             "not allowed to read",
		ns + "_child_kustomize.toolkit.fluxcd.io_Kustomization": "not allowed to read",
	} {
		if got[id] != want {
			t.Errorf("health of %s as configmap-reader = %q, want %q", id, got[id], want)
		}
	}
	mustContain(t, "the health page of a restricted user", body, "forbidden")
	assertNoSecret(t, "the health page of a restricted user", body)

	// A read-only UI has no identity to read with.
	srv = newUI(t, nil)
	if resp, body := get(t, srv, path); resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "read-only") {
		t.Errorf("the health page of a read-only UI = %d:\n%s", resp.StatusCode, body)
	}
	// A kind without an inventory has no health page.
	gitRepository(t, ns, "repo", metav1.ConditionTrue, "stored artifact", "main@sha1:3333")
	if resp, _ := get(t, srv, "/o/GitRepository/"+ns+"/repo/health"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("the health page of a GitRepository = %d, want 404", resp.StatusCode)
	}
}
