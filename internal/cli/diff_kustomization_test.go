package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/client"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/api/meta"
)

const secretYAML = `apiVersion: v1
kind: Secret
metadata:
  name: credentials
stringData:
  password: %s
`

// writeTree writes files (relative path to content) under dir.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestDiffKustomization applies a repository, then diffs local changes
// against the cluster: a changed ConfigMap and Secret drift, a new
// ConfigMap is created, a removed one is deleted (prune is on); the Secret's
// values never show. An unchanged checkout has no changes and exits 0.
func TestDiffKustomization(t *testing.T) {
	applied := map[string]string{
		"deploy/settings.yaml": configMapYAML("settings", "one"),
		"deploy/old.yaml":      configMapYAML("old", "gone soon"),
		"deploy/secret.yaml":   strings.ReplaceAll(secretYAML, "%s", "first-password"),
	}
	ns, _ := setupSync(t, "drift", "./deploy", applied)
	if _, stderr, code := ferry(t, "-n", ns, "reconcile", "kustomization", "drift", "--with-source"); code != 0 {
		t.Fatalf("reconcile exited %d: %s", code, stderr)
	}

	same := t.TempDir()
	writeTree(t, same, applied)
	stdout, stderr, code := ferry(t, "-n", ns, "diff", "kustomization", "drift", "--path", filepath.Join(same, "deploy"))
	if code != 0 || stdout != "" {
		t.Fatalf("diff of the applied files exited %d, want 0:\n%s%s", code, stdout, stderr)
	}
	mustContain(t, "stderr", stderr, "✔ no changes")

	changed := t.TempDir()
	writeTree(t, changed, map[string]string{
		"deploy/settings.yaml": configMapYAML("settings", "two"),
		"deploy/new.yaml":      configMapYAML("new", "fresh"),
		"deploy/secret.yaml":   strings.ReplaceAll(secretYAML, "%s", "second-password"),
	})
	stdout, stderr, code = ferry(t, "-n", ns, "diff", "ks", "drift", "--path", filepath.Join(changed, "deploy"))
	if code != 1 {
		t.Fatalf("diff of changed files exited %d, want 1:\n%s%s", code, stdout, stderr)
	}
	if stderr != "" {
		t.Errorf("stderr = %q, want nothing", stderr)
	}
	for _, secret := range []string{"first-password", "second-password", "Zmlyc3Qtc", "c2Vjb25kLX"} {
		if strings.Contains(stdout, secret) {
			t.Errorf("diff reveals %q:\n%s", secret, stdout)
		}
	}
	golden(t, "diff_kustomization.golden", []byte(strings.ReplaceAll(stdout, ns, "NAMESPACE")))

	// A SOPS-encrypted Secret is compared by its keys only: the same key
	// is no change, another key is a drift; no value is shown.
	encrypted := func(key string) string {
		return "apiVersion: v1\nkind: Secret\nmetadata:\n  name: credentials\nstringData:\n  " + key +
			": ENC[AES256_GCM,data:Y2lwaGVydGV4dA==,iv:aXY=,tag:dGFn,type:str]\nsops:\n  mac: ENC[AES256_GCM,data:bWFj,iv:aXY=,tag:dGFn,type:str]\n  version: 3.9.0\n"
	}
	sops := t.TempDir()
	writeTree(t, sops, map[string]string{
		"deploy/settings.yaml": applied["deploy/settings.yaml"],
		"deploy/old.yaml":      applied["deploy/old.yaml"],
		"deploy/secret.yaml":   encrypted("password"),
	})
	stdout, stderr, code = ferry(t, "-n", ns, "diff", "ks", "drift", "--path", filepath.Join(sops, "deploy"))
	if code != 0 || stdout != "" {
		t.Fatalf("diff with the same keys encrypted exited %d, want 0:\n%s%s", code, stdout, stderr)
	}
	writeTree(t, sops, map[string]string{"deploy/secret.yaml": encrypted("token")})
	stdout, stderr, code = ferry(t, "-n", ns, "diff", "ks", "drift", "--path", filepath.Join(sops, "deploy"))
	if code != 1 {
		t.Fatalf("diff with another key encrypted exited %d, want 1:\n%s%s", code, stdout, stderr)
	}
	mustContain(t, "diff of an encrypted Secret", stdout, "► Secret/"+ns+"/credentials drifted",
		"data keys in the cluster: password", "data keys after apply:   token")
	if strings.Contains(stdout, "Y2lwaGVydGV4dA") || strings.Contains(stdout, "first-password") {
		t.Errorf("diff shows a secret value:\n%s", stdout)
	}

	// An object the API server rejects is an error, exit code 2.
	bad := t.TempDir()
	writeTree(t, bad, map[string]string{"cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: Not_Valid\n"})
	_, stderr, code = ferry(t, "-n", ns, "diff", "ks", "drift", "--path", bad)
	if code != 2 {
		t.Fatalf("diff of an invalid object exited %d, want 2: %s", code, stderr)
	}
	mustContain(t, "stderr", stderr, "ConfigMap/"+ns+"/Not_Valid")

	// A Namespace and a ConfigMap in it, both new: the ConfigMap cannot be
	// dry-run before its Namespace exists, and is reported created too.
	// The Kustomization comes from a file (no targetNamespace), its
	// inventory from the cluster.
	fresh := t.TempDir()
	newNS := ns + "-new"
	writeTree(t, fresh, map[string]string{
		"deploy/ns.yaml": "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: " + newNS + "\n",
		"deploy/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: inside\n  namespace: " + newNS + "\n",
		"flux.yaml": "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: drift\n  namespace: " + ns +
			"\nspec:\n  interval: 10m\n  path: ./deploy\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: drift\n",
	})
	stdout, stderr, code = ferry(t, "-n", ns, "diff", "ks", "drift", "--path", filepath.Join(fresh, "deploy"),
		"--kustomization-file", filepath.Join(fresh, "flux.yaml"))
	if code != 1 {
		t.Fatalf("diff of a new Namespace exited %d, want 1:\n%s%s", code, stdout, stderr)
	}
	mustContain(t, "diff of a new Namespace", stdout, "► Namespace/"+newNS+" created", "► ConfigMap/"+newNS+"/inside created",
		"► ConfigMap/"+ns+"/settings deleted", "► Secret/"+ns+"/credentials deleted")

	// A Kustomization applying to a remote cluster is not diffed against
	// this one.
	ks := &kustomizev1.Kustomization{}
	if err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "drift"}, ks); err != nil {
		t.Fatal(err)
	}
	remote := ks.DeepCopy()
	remote.Name, remote.ResourceVersion, remote.UID = "remote", "", ""
	remote.Spec.Suspend = true
	remote.Spec.KubeConfig = &meta.KubeConfigReference{SecretRef: meta.SecretKeyReference{Name: "remote-kubeconfig"}}
	if err := env.Client.Create(context.Background(), remote); err != nil {
		t.Fatal(err)
	}
	_, stderr, code = ferry(t, "-n", ns, "diff", "ks", "remote", "--path", filepath.Join(same, "deploy"))
	if code != 2 {
		t.Fatalf("diff of a remote Kustomization exited %d, want 2: %s", code, stderr)
	}
	mustContain(t, "stderr", stderr, "applies to a remote cluster (spec.kubeConfig)")
}
