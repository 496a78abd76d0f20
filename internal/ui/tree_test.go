package ui_test

import (
	"context"
	"encoding/base64"
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
)

// secretValue is the data of the Secret in the inventory, which no answer
// may hold.
const secretValue = "s3cr3t-never-in-the-ui"

// withInventory makes a Kustomization Ready with status.inventory holding
// ids, each at version v1.
func withInventory(ids ...string) func(*kustomizev1.Kustomization) {
	return func(ks *kustomizev1.Kustomization) {
		ready("Applied")(ks)
		ks.Status.Inventory = &kustomizev1.ResourceInventory{}
		for _, id := range ids {
			ks.Status.Inventory.Entries = append(ks.Status.Inventory.Entries, kustomizev1.ResourceRef{ID: id, Version: "v1"})
		}
	}
}

// treeFixture makes, in a new namespace, the Kustomization "apps" whose
// inventory holds the ConfigMap "settings", the Secret "credentials"
// (both existing), the Deployment "web" (missing) and the Kustomization
// "child", whose own inventory holds the ConfigMap "child-settings".
func treeFixture(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	ns := env.NewNamespace(t, "tree")
	for _, o := range []client.Object{
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "settings"}, Data: map[string]string{"mode": "production"}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "credentials"}, StringData: map[string]string{"password": secretValue}},
	} {
		if err := env.Client.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	kustomization(t, ns, "child", withInventory(ns+"_child-settings__ConfigMap"))
	kustomization(t, ns, "apps", withInventory(
		ns+"_settings__ConfigMap",
		ns+"_credentials__Secret",
		ns+"_web_apps_Deployment",
		ns+"_child_kustomize.toolkit.fluxcd.io_Kustomization",
	))
	return ns
}

func TestInventoryTree(t *testing.T) {
	ns := treeFixture(t)
	srv := newUI(t, asAdmin)

	resp, body := get(t, srv, "/o/Kustomization/"+ns+"/apps")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET object = %d:\n%s", resp.StatusCode, body)
	}
	mustContain(t, "the object page", body,
		"Inventory (4 objects)",
		// the child, linked, with its state and its own inventory inside
		`href="/o/Kustomization/`+ns+`/child"`, "its inventory", ns+"/child-settings",
		`data-health-for="`+ns+`_child-settings__ConfigMap"`,
		// every entry has a badge to fill, the page a link to the health
		`data-health-for="`+ns+`_settings__ConfigMap"`,
		`data-load="/o/Kustomization/`+ns+`/apps/health"`,
		// another kind links to its trace
		`href="/trace?apiVersion=apps%2Fv1&amp;kind=Deployment&amp;name=web&amp;namespace=`+ns+`"`,
		`href="/trace?apiVersion=v1&amp;kind=ConfigMap&amp;name=settings&amp;namespace=`+ns+`"`)
	childAt := strings.Index(body, `href="/o/Kustomization/`+ns+`/child"`)
	if at := strings.Index(body, ns+"/child-settings"); at < childAt {
		t.Errorf("the child's entry is not under the child (at %d, the child at %d)", at, childAt)
	}
	assertNoSecret(t, "the object page", body)
}

func TestInventoryTreeCycle(t *testing.T) {
	ns := env.NewNamespace(t, "cycle")
	kustomization(t, ns, "a", withInventory(ns+"_b_kustomize.toolkit.fluxcd.io_Kustomization", ns+"_in-a__ConfigMap"))
	kustomization(t, ns, "b", withInventory(ns+"_a_kustomize.toolkit.fluxcd.io_Kustomization", ns+"_in-b__ConfigMap"))
	srv := newUI(t, asAdmin)

	resp, body := get(t, srv, "/o/Kustomization/"+ns+"/a")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET object = %d:\n%s", resp.StatusCode, body)
	}
	mustContain(t, "the page of a cycle", body, ns+"/in-b", "already shown above in this tree (a cycle)")
	if n := strings.Count(body, ns+"/in-a<"); n != 1 {
		t.Errorf("a's ConfigMap is shown %d times, want once", n)
	}
	resp, body = get(t, srv, "/o/Kustomization/"+ns+"/a/health")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET health = %d:\n%s", resp.StatusCode, body)
	}
	if got := healthRows(body); len(got) != 4 {
		t.Errorf("the health page of a cycle has %d rows, want 4 (a, b and their ConfigMaps): %v", len(got), got)
	}
}

var healthRow = regexp.MustCompile(`data-health-id="([^"]+)" data-health-status="([^"]*)"`)

// healthRows are the health page's statuses by inventory ID.
func healthRows(body string) map[string]string {
	out := map[string]string{}
	for _, m := range healthRow.FindAllStringSubmatch(body, -1) {
		out[html.UnescapeString(m[1])] = html.UnescapeString(m[2])
	}
	return out
}

// assertNoSecret fails if body holds the Secret's value, plain or in
// base64.
func assertNoSecret(t *testing.T, what, body string) {
	t.Helper()
	if strings.Contains(body, secretValue) || strings.Contains(body, base64.StdEncoding.EncodeToString([]byte(secretValue))) {
		t.Errorf("%s holds the Secret's value", what)
	}
}
