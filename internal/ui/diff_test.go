package ui_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/apply"
	"github.com/ferrycd/ferry/internal/build"
	kscontroller "github.com/ferrycd/ferry/internal/controller/kustomization"
)

// The secrets of the diff test, none of which may reach a page.
const (
	diffPassword    = "first-password"
	clusterPassword = "cluster-password"
	dbPassword      = "s3cret-db-value"
)

// TestDiffKustomization diffs a Kustomization with the cluster from its
// GitRepository's artifact: before anything is applied every object would
// be created; once applied as the controller applies it, there are no
// changes; after the ConfigMap and the Secret are changed in the cluster
// both drift, shown as unified diffs, the Secret's values and the value
// substituted from a Secret masked, and an inventory object the build no
// longer has would be pruned. A user who may not dry-run gets a 403.
func TestDiffKustomization(t *testing.T) {
	ctx := context.Background()
	ns := env.NewNamespace(t, "diff")
	storage := newStorage(t)
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"deploy/settings.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  value: one\n  url: https://app:${db_password}@db.example.com\n",
		"deploy/secret.yaml":   "apiVersion: v1\nkind: Secret\nmetadata:\n  name: credentials\nstringData:\n  password: " + diffPassword + "\n",
	})
	revision := "main@sha1:feedfacefeedfacefeedfacefeedfacefeedface"
	art, err := storage.Archive(sourcev1.GitRepositoryKind, ns, "repo", revision, dir)
	if err != nil {
		t.Fatal(err)
	}
	gitRepositoryWithArtifact(t, ns, "repo", art)
	vars := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "vars"}, StringData: map[string]string{"db_password": dbPassword}}
	if err := env.Client.Create(ctx, vars); err != nil {
		t.Fatal(err)
	}
	ks := &kustomizev1.Kustomization{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "app"},
		Spec: kustomizev1.KustomizationSpec{
			Interval: metav1.Duration{Duration: time.Minute}, Path: "./deploy", Prune: true, TargetNamespace: ns,
			SourceRef: kustomizev1.CrossNamespaceSourceReference{Kind: sourcev1.GitRepositoryKind, Name: "repo"},
			PostBuild: &kustomizev1.PostBuild{SubstituteFrom: []kustomizev1.SubstituteReference{{Kind: "Secret", Name: "vars"}}},
		},
	}
	if err := env.Client.Create(ctx, ks); err != nil {
		t.Fatal(err)
	}
	srv := artifactUI(t, storage, asAdmin)
	page := "/o/Kustomization/" + ns + "/app"
	noSecrets := func(what, body string) {
		t.Helper()
		for _, secret := range []string{diffPassword, clusterPassword, dbPassword} {
			if strings.Contains(body, secret) || strings.Contains(body, base64.StdEncoding.EncodeToString([]byte(secret))) {
				t.Errorf("%s shows %q:\n%s", what, secret, body)
			}
		}
	}

	// The object page links to the diff and does not compute it.
	_, body := get(t, srv, page)
	mustContain(t, "the Kustomization's page", body, `href="`+page+`/diff"`, "Diff with the cluster")

	// Nothing applied yet: everything would be created.
	resp, body := get(t, srv, page+"/diff")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET diff = %d:\n%s", resp.StatusCode, body)
	}
	mustContain(t, "the first diff", body, revision, art.Digest, "2 objects would change: 2 created, 0 drifted, 0 deleted",
		"<code>ConfigMap/"+ns+"/settings</code>", "<code>Secret/"+ns+"/credentials</code>", "as <strong>alice</strong>")
	noSecrets("the first diff", body)

	// Apply the build as the controller does, with an object of an older
	// revision in the inventory.
	sub, err := build.LoadSubstitution(ctx, env.Client, ks)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := kscontroller.Build(ctx, ks, dir, sub, env.Client, nil)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := apply.NewManager(env.Client, kscontroller.Owner(ks)).Apply(ctx, objs, kscontroller.ApplyOptions(ks, time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	ks.Status.Inventory = apply.Inventory(cs)
	if err := env.Client.Status().Update(ctx, ks); err != nil {
		t.Fatal(err)
	}

	_, body = get(t, srv, page+"/diff")
	mustContain(t, "the diff in sync", body, "No changes: the cluster matches revision <code>"+revision+"</code>")
	if strings.Contains(body, "objects would change") {
		t.Errorf("the diff in sync lists changes:\n%s", body)
	}

	// Change the cluster, and leave an object of an older revision in the
	// inventory.
	cm := &corev1.ConfigMap{}
	if err := env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "settings"}, cm); err != nil {
		t.Fatal(err)
	}
	cm.Data["value"] = "changed-in-cluster"
	if err := env.Client.Update(ctx, cm); err != nil {
		t.Fatal(err)
	}
	secret := &corev1.Secret{}
	if err := env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "credentials"}, secret); err != nil {
		t.Fatal(err)
	}
	secret.Data["password"] = []byte(clusterPassword)
	if err := env.Client.Update(ctx, secret); err != nil {
		t.Fatal(err)
	}
	old := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "old", Labels: kscontroller.Owner(ks).Labels()}}
	if err := env.Client.Create(ctx, old); err != nil {
		t.Fatal(err)
	}
	ks.Status.Inventory.Entries = append(ks.Status.Inventory.Entries, kustomizev1.ResourceRef{ID: ns + "_old__ConfigMap", Version: "v1"})
	if err := env.Client.Status().Update(ctx, ks); err != nil {
		t.Fatal(err)
	}

	_, body = get(t, srv, page+"/diff")
	mustContain(t, "the diff of a drift", body, "2 drifted, 1 deleted",
		"<code>ConfigMap/"+ns+"/settings</code>", `<span class="diff-del">-  value: changed-in-cluster</span>`, `<span class="diff-add">&#43;  value: one</span>`,
		"url: https://app:***@db.example.com",
		"<code>Secret/"+ns+"/credentials</code>", `password: &#39;*** (before)&#39;`, `password: &#39;*** (after)&#39;`,
		"change-deleted", "<code>ConfigMap/"+ns+"/old</code>")
	noSecrets("the diff of a drift", body)

	// A user who may read the source and the variables but not dry-run
	// the objects: the API server's refusal, with a 403.
	reader := restrictedUser(t, ns, "reader", []rbacv1.PolicyRule{
		{APIGroups: []string{sourcev1.GroupVersion.Group}, Resources: []string{"gitrepositories"}, Verbs: []string{"get"}},
		{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get"}},
	}...)
	refused := artifactUI(t, storage, func(*http.Request) (client.Client, string, error) { return reader, "reader", nil })
	resp, body = get(t, refused, page+"/diff")
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("the diff as reader = %d, want 403:\n%s", resp.StatusCode, body)
	}
	mustContain(t, "the diff as reader", body, "forbidden", "system:serviceaccount:"+ns+":reader")
	noSecrets("the diff as reader", body)

	// ferry ui has no storage: the page says where to diff.
	resp, body = get(t, newUI(t, asAdmin), page+"/diff")
	if resp.StatusCode != http.StatusNotImplemented {
		t.Errorf("the diff without storage = %d, want 501", resp.StatusCode)
	}
	mustContain(t, "the diff without storage", body, "ferry controller --ui-address", "ferry dev")
}

// TestDiffShowsBuildErrors shows why the next reconciliation would fail
// instead of a diff: a path the artifact does not have.
func TestDiffShowsBuildErrors(t *testing.T) {
	ctx := context.Background()
	ns := env.NewNamespace(t, "diff-fail")
	storage := newStorage(t)
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"deploy/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n"})
	art, err := storage.Archive(sourcev1.GitRepositoryKind, ns, "repo", "main@sha1:0123", dir)
	if err != nil {
		t.Fatal(err)
	}
	gitRepositoryWithArtifact(t, ns, "repo", art)
	ks := &kustomizev1.Kustomization{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "app"},
		Spec: kustomizev1.KustomizationSpec{
			Interval: metav1.Duration{Duration: time.Minute}, Path: "./no-such-dir",
			SourceRef: kustomizev1.CrossNamespaceSourceReference{Kind: sourcev1.GitRepositoryKind, Name: "repo"},
		},
	}
	if err := env.Client.Create(ctx, ks); err != nil {
		t.Fatal(err)
	}
	srv := artifactUI(t, storage, asAdmin)
	resp, body := get(t, srv, "/o/Kustomization/"+ns+"/app/diff")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET diff = %d:\n%s", resp.StatusCode, body)
	}
	mustContain(t, "the diff of a missing path", body, "The next reconciliation would fail", "no-such-dir", "in revision main@sha1:0123")
	if strings.Contains(body, "No changes") {
		t.Errorf("a failing build says no changes:\n%s", body)
	}
}
